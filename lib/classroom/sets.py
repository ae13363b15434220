"""Class sets: a screening test's scores that a lecturer saved so that the class can poll on them.

A set uploaded on the Screening page lives in that browser session only; when the lecturer asks to poll the class on
it, it is saved here, beside the runs and the polls (``<runs>/.sets/<digest>.npz``), so that every student's page (on
any app server of the class) reads the same items and every answer lands on the same ROC::

    <digest>.npz    scores (float64), labels (int8), groups (str, optional), source, saved_by, saved_at

A set is named by the digest of its content (:func:`set_id_of`: ``set:`` and 16 hex digits), so saving the same
items twice is one set, and a student who uploads the same file is on the same curve. Files are written atomically
and privately (0600 in a 0700 folder) and read back size-capped and checked: a broken file is a :class:`SetError`
naming the set, never a crash.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from lib.atomic import write_npz_atomic
from lib.data.scores import MAX_ROWS, ScoreSet
from lib.metrics.roc import RocCurve, roc

FOLDER = ".sets"
PREFIX = "set:"
SOURCE_CHARS = 200  # the file's name as the lecturer's upload gave it (one line)
MAX_FILE_BYTES = 32 * 1024 * 1024  # MAX_ROWS items with a group each, compressed: far below; a bigger file is not ours
_SET_ID = re.compile(r"^set:[0-9a-f]{16}$")


class SetError(ValueError):
    """A class set that cannot be saved or read; the message says which and why."""


@dataclass(frozen=True)
class ClassSet:
    """A saved set: its id (``set:<digest>``), the name it was uploaded under, its size and who saved it when."""

    set_id: str
    source: str
    n: int
    n_pos: int
    saved_by: str
    saved_at: float


def is_set_id(value) -> bool:
    """Whether ``value`` names a class set (``set:`` and 16 hex digits) rather than a run.

    Examples
    --------
    >>> is_set_id("set:0123456789abcdef"), is_set_id("set:../../etc"), is_set_id("20250101-120000-ab12cd")
    (True, False, False)
    """
    return isinstance(value, str) and bool(_SET_ID.match(value))


def _checked(scores, labels, groups) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.size != labels.size:
        raise SetError(f"a class set needs one label per score, got {scores.size} scores and {labels.size} labels")
    if not 0 < scores.size <= MAX_ROWS:
        raise SetError(f"a class set holds 1 to {MAX_ROWS:,} items, got {scores.size:,}")
    if not np.isfinite(scores).all():
        raise SetError("a class set's scores must all be finite numbers")
    if not np.isin(labels, (0, 1)).all():
        raise SetError("a class set's labels must all be 0 or 1")
    labels = labels.astype(np.int8)
    if labels.min() == labels.max():
        raise SetError(f"a class set needs both classes (a ROC to poll on), got only label {int(labels[0])}")
    if groups is not None:
        groups = np.asarray(groups).astype(str).ravel()
        if groups.size != scores.size:
            raise SetError(f"a class set needs one group per score, got {groups.size} groups for {scores.size} scores")
    return scores, labels, groups


def set_id_of(scores, labels, groups=None) -> str:
    """The id a set with these items has (saved or not): ``set:`` and the first 16 hex digits of the SHA-256 of its
    scores (float64), labels (0 / 1) and groups (when given).

    scores : array-like (n,), finite; labels : array-like (n,), 0 / 1, both present; groups : array-like (n,) or None.
    Raises SetError for items that cannot be a class set.
    """
    scores, labels, groups = _checked(scores, labels, groups)
    digest = hashlib.sha256(scores.tobytes() + b"|" + labels.tobytes())
    if groups is not None:
        digest.update(b"|" + "\x1f".join(groups.tolist()).encode("utf-8", "surrogatepass"))
    return PREFIX + digest.hexdigest()[:16]


def _one_line(value, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@lru_cache(maxsize=16)
def _load(path: str, mtime_ns: int, size: int) -> tuple[ClassSet, np.ndarray, np.ndarray, np.ndarray | None]:
    """One set file's content, read once per version of the file (every student's page asks on every rerun). The
    arrays are read-only: they are shared by every session."""
    set_id = PREFIX + Path(path).stem
    if size > MAX_FILE_BYTES:
        raise SetError(f"the class set {set_id} is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a set may hold")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        scores, labels = arrays["scores"], arrays["labels"]
        groups = arrays.get("groups")
        scores, labels, groups = _checked(scores, labels, groups)
        info = ClassSet(set_id=set_id, source=_one_line(arrays["source"], SOURCE_CHARS),
                        n=int(scores.size), n_pos=int(labels.sum()),
                        saved_by=_one_line(arrays["saved_by"], 100), saved_at=float(arrays["saved_at"]))
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise SetError(f"the class set {set_id} cannot be read ({type(exc).__name__}: {exc})") from None
    for array in (scores, labels, groups):
        if array is not None:
            array.flags.writeable = False
    return info, scores, labels, groups


@lru_cache(maxsize=16)
def _roc(path: str, mtime_ns: int, size: int) -> RocCurve:
    _, scores, labels, _ = _load(path, mtime_ns, size)
    return roc(scores, labels)


class SetStore:
    """The class sets of one runs folder (the class's): ``<runs>/.sets``."""

    def __init__(self, runs_root: str | Path):
        self.root = Path(runs_root) / FOLDER

    def save(self, scores, labels, *, groups=None, source: str, by: str) -> ClassSet:
        """Save these items as a class set (the lecturer asked to poll on them) and return it. Saving the same items
        again returns the set already saved (its first name and saver kept).

        scores : array-like (n,), finite, any scale; labels : array-like (n,), 0 / 1, both present;
        groups : array-like (n,) of str, or None. Raises SetError for items that cannot be a class set.
        """
        scores, labels, groups = _checked(scores, labels, groups)
        set_id = set_id_of(scores, labels, groups)
        path = self._path(set_id)
        if path.is_file():
            try:
                return self.get(set_id)
            except SetError:
                pass  # a broken file under this name: written again below
        self._private_root()
        arrays = {"scores": scores, "labels": labels, "source": np.array(_one_line(source, SOURCE_CHARS)),
                  "saved_by": np.array(_one_line(by, 100)), "saved_at": np.array(time.time())}
        if groups is not None:
            arrays["groups"] = groups
        write_npz_atomic(path, **arrays)
        os.chmod(path, 0o600)
        return self.get(set_id)

    def get(self, set_id: str) -> ClassSet:
        """The saved set's description; SetError when there is no such set or its file is broken."""
        return self._read(set_id)[0]

    def load(self, set_id: str) -> ScoreSet:
        """The saved set's items, as the Screening page works on them (the arrays are read-only)."""
        info, scores, labels, groups = self._read(set_id)
        columns = {"score": "score", "label": "label", **({"group": "group"} if groups is not None else {})}
        return ScoreSet(scores=scores, labels=labels.astype(np.int64), groups=groups, ids=None,
                        source=info.source, columns=columns)

    def curve(self, set_id: str) -> RocCurve:
        """The saved set's ROC (:func:`lib.metrics.roc.roc` of its scores and labels), computed once per file."""
        path = self._path(set_id)
        return _roc(*self._stamp(path, set_id))

    # -- inside --------------------------------------------------------------------------------------------------
    def _path(self, set_id: str) -> Path:
        if not is_set_id(set_id):
            raise SetError(f"no class set {str(set_id)[:40]!r}")
        return self.root / (set_id.removeprefix(PREFIX) + ".npz")

    @staticmethod
    def _stamp(path: Path, set_id: str) -> tuple[str, int, int]:
        try:
            stat = path.stat()
        except OSError:
            raise SetError(f"the class set {set_id} is gone") from None
        return str(path), stat.st_mtime_ns, stat.st_size

    def _read(self, set_id: str):
        path = self._path(set_id)
        return _load(*self._stamp(path, set_id))

    def _private_root(self) -> None:
        if not self.root.is_dir():
            self.root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.root.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.root, 0o700)
