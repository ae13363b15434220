"""A screening test's scores as a CSV: one row per item, a score column and a 0 / 1 label column, optionally a group
(a site, a camera, an eye) and an image path or ID. What the screening page uploads or pastes, what
``python -m lib screen`` reads, and what every DR run's test scores download as (:func:`scores_csv`).

Every problem is a :class:`ScoresFileError` naming the file, and the row and column where there is one. Rows are
numbered as a spreadsheet shows them: the header is row 1, the first item row 2.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_BYTES = 10 * 1024 * 1024  # 10 MB: about 300,000 rows with an image id; a vendor's validation set fits
MAX_ROWS = 200_000  # every figure of the page is drawn from all rows (the ROC has a vertex per distinct score)
ID_COLUMNS = ("image", "id", "path")  # an ID column found without being named, in this order
NO_GROUP = "(none)"  # the group of a row whose group cell is empty


class ScoresFileError(ValueError):
    """A scores file that cannot be used; the message says which file, row and column, and why."""


@dataclass(frozen=True)
class ScoreSet:
    """The items of a scores file.

    scores : ndarray (n,), float64, finite (any scale; calibration and decision curves need them in [0, 1])
    labels : ndarray (n,), int64, 0 / 1, both present
    groups : ndarray (n,) of str, or None without a group column
    ids : ndarray (n,) of str, or None without an ID column
    source : the file's name, as messages name it
    columns : the role of each column used -> its name in the file ("score", "label", and "group" / "id" when present)
    """

    scores: np.ndarray
    labels: np.ndarray
    groups: np.ndarray | None
    ids: np.ndarray | None
    source: str
    columns: dict

    @property
    def n(self) -> int:
        return int(self.scores.size)

    @property
    def n_pos(self) -> int:
        return int(self.labels.sum())

    @property
    def score_range(self) -> tuple[float, float]:
        return float(self.scores.min()), float(self.scores.max())

    @property
    def probabilities(self) -> bool:
        """Whether every score is in [0, 1] (then calibration and decision curves apply)."""
        return bool(self.scores.min() >= 0 and self.scores.max() <= 1)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _too_large(source: str, size: int) -> ScoresFileError:
    return ScoresFileError(f"{source} is {_megabytes(size)}: the limit is {MAX_BYTES // 2**20} MB (about "
                           f"{MAX_ROWS:,} rows); keep the score, label and group columns only, or a sample of the rows")


def read_scores_file(path: str | Path, **columns) -> ScoreSet:
    """:func:`parse_scores` of a file on disk, its size checked before it is read.

    Raises
    ------
    ScoresFileError
        The file cannot be read or is over :data:`MAX_BYTES`; as :func:`parse_scores`.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _too_large(path.name, size)
        data = path.read_bytes()
    except OSError as exc:
        raise ScoresFileError(f"cannot read {path} ({exc.strerror or exc})") from None
    return parse_scores(data, source=path.name, **columns)


def _header(text: str) -> tuple[str, list[str]]:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else "\t" if "\t" in first and "," not in first else ","
    return delimiter, first


def _number(cell: str) -> tuple[float | None, str | None]:
    """The cell as a finite float, or (None, why not)."""
    text = cell.strip()
    if not text:
        return None, "the cell is empty"
    try:
        value = float(text)
    except ValueError:
        return None, f"{text[:40]!r} is not a number"
    if not math.isfinite(value):
        return None, f"{text[:40]!r} is not a finite number"
    return value, None


def _kind(what: str) -> str:
    """The kind of a problem, without the cell's value: how problems are counted alike."""
    return what.split("'")[-1] if "'" in what else what


def _label(cell: str) -> tuple[int | None, str | None]:
    try:
        value = float(cell.strip())
    except ValueError:
        value = math.nan
    if value in (0.0, 1.0):
        return int(value), None
    return None, ("the cell is empty" if not cell.strip() else f"{cell.strip()[:40]!r} is not 0 or 1") + \
        " (a label is 1 for a positive item, 0 for a negative one)"


def _column(names: list[str], wanted: str, role: str, source: str) -> int:
    if wanted not in names:
        raise ScoresFileError(f"{source} has no column {wanted!r} (its columns: {', '.join(names)}); "
                              f"choose the {role} column")
    return names.index(wanted)


def parse_scores(data: bytes | str, *, source: str = "the scores file", score: str = "score", label: str = "label",
                 group: str | None = None, id: str | None = None) -> ScoreSet:
    """Read a scores CSV (comma-separated; semicolons or tabs when the header has no comma; UTF-8, a BOM allowed).

    Parameters
    ----------
    data : the file's bytes, or its text (pasted)
    source : keyword-only; the file's name, for messages
    score, label : keyword-only; the names of the score and the 0 / 1 label columns
    group : keyword-only, optional; the name of a group column (an empty cell is the group :data:`NO_GROUP`)
    id : keyword-only, optional; the name of an image path or ID column; default the first of :data:`ID_COLUMNS`
        the file has, if any

    Raises
    ------
    ScoresFileError
        Over :data:`MAX_BYTES` or :data:`MAX_ROWS`; not UTF-8 text; empty, or a header without rows; a header naming a
        column twice; a chosen column missing; a row with another number of cells than the header; a score that is
        empty, not a number, NaN or infinite; a label other than 0 / 1; only one class. Each names the row and column
        of the first such cell and how many rows have the same problem.
    """
    if len(data) > MAX_BYTES:
        raise _too_large(source, len(data if isinstance(data, bytes) else data.encode("utf-8")))
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScoresFileError(f"{source} is not a text file in UTF-8 (save it as CSV, UTF-8)") from None
    else:
        text = data.lstrip("\ufeff")
    if not text.strip():
        raise ScoresFileError(f"{source} is empty: it needs a header row (e.g. score,label) and a row per item")
    delimiter, _ = _header(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    names = [name.strip() for name in next(reader)]
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise ScoresFileError(f"{source}: the header names {name!r} twice (columns {seen[name]} and {position}): "
                                  "each column needs its own name")
        seen[name] = position
    wanted = {"score": _column(names, score, "score", source), "label": _column(names, label, "label", source)}
    if group is not None:
        wanted["group"] = _column(names, group, "group", source)
    if id is not None:
        wanted["id"] = _column(names, id, "image path or ID", source)
    else:
        found = next((name for name in ID_COLUMNS if name in names), None)
        if found is not None:
            wanted["id"] = names.index(found)

    scores, labels, groups, ids = [], [], [], []
    problems: list[tuple[int, str, str]] = []  # (row, column, what), in file order
    rows = 0
    for row_number, row in enumerate(reader, start=2):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line (a trailing one, often)
        rows += 1
        if rows > MAX_ROWS:
            raise ScoresFileError(f"{source} has more than {MAX_ROWS:,} rows: the limit is {MAX_ROWS:,} "
                                  f"(and {MAX_BYTES // 2**20} MB); take a sample of the rows")
        if len(row) != len(names):
            cells = f"{len(row)} cell" + ("s" if len(row) != 1 else "")
            raise ScoresFileError(f"{source}, row {row_number} has {cells}; the header has {len(names)} "
                                  "(a comma inside a value needs quotes around it)")
        value, why = _number(row[wanted["score"]])
        if why:
            problems.append((row_number, score, why))
        scores.append(value)
        flag, why = _label(row[wanted["label"]])
        if why:
            problems.append((row_number, label, why))
        labels.append(flag)
        if "group" in wanted:
            groups.append(row[wanted["group"]].strip() or NO_GROUP)
        if "id" in wanted:
            ids.append(row[wanted["id"]].strip())
    if rows == 0:
        raise ScoresFileError(f"{source} has a header but no rows")
    if problems:
        row_number, column, what = problems[0]
        like = sum(1 for p in problems if p[1] == column and _kind(p[2]) == _kind(what))
        more = f" ({like} rows like it in all)" if like > 1 else ""
        raise ScoresFileError(f"{source}, row {row_number}, column {column!r}: {what}{more}")
    labels = np.asarray(labels, dtype=np.int64)
    if labels.min() == labels.max():
        raise ScoresFileError(f"{source}: every label is {labels[0]} ({labels.size} rows): the ROC curve and every "
                              "figure of a screening test need both classes (1 positive, 0 negative)")
    columns = {"score": score, "label": label}
    columns.update({role: names[index] for role, index in wanted.items() if role in ("group", "id")})
    return ScoreSet(scores=np.asarray(scores, dtype=np.float64), labels=labels,
                    groups=np.asarray(groups, dtype=str) if "group" in wanted else None,
                    ids=np.asarray(ids, dtype=str) if "id" in wanted else None, source=source, columns=columns)


def scores_csv(scores, labels, *, ids=None, groups=None) -> str:
    """The CSV text :func:`parse_scores` reads: ``image,score,label[,group]`` (``image`` only with ``ids``).

    Parameters
    ----------
    scores : array-like of shape (n,), numbers (written with 9 significant digits: a float32 survives exactly)
    labels : array-like of shape (n,), 0 / 1
    ids, groups : array-like of shape (n,), keyword-only, optional

    Examples
    --------
    >>> print(scores_csv([0.25, 0.5], [0, 1], ids=["10_left", "10_right"]), end="")
    image,score,label
    10_left,0.25,0
    10_right,0.5,1
    """
    scores, labels = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(labels).ravel().astype(np.int64)
    columns = [("score", [f"{v:.9g}" for v in scores]), ("label", [str(v) for v in labels])]
    if ids is not None:
        columns.insert(0, ("image", [str(v) for v in np.asarray(ids).ravel()]))
    if groups is not None:
        columns.append(("group", [str(v) for v in np.asarray(groups).ravel()]))
    lengths = {name: len(values) for name, values in columns}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"every column needs one value per item, got lengths {lengths}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in columns])
    writer.writerows(zip(*(values for _, values in columns)))
    return out.getvalue()


def eye_groups(ids) -> list[str] | None:
    """The eye of each EyePACS id (``10_left`` -> ``left``), or None when not every id names one.

    Examples
    --------
    >>> eye_groups(["10_left", "10_right"]), eye_groups(["a.png"])
    (['left', 'right'], None)
    """
    eyes = [str(name).rsplit("_", 1)[-1] for name in ids]
    return eyes if eyes and set(eyes) <= {"left", "right"} else None


def predictions_csv(predictions: dict) -> str:
    """A run's saved test predictions (``scores``, ``labels``, optionally ``images``) as the CSV the Screening page
    and ``python -m lib screen`` read; EyePACS ids also give the eye as the ``group`` column."""
    ids = predictions.get("images")
    return scores_csv(predictions["scores"], predictions["labels"], ids=ids,
                      groups=None if ids is None else eye_groups(ids))


def header_names(data: bytes | str) -> list[str]:
    """The column names of a scores file's header (to offer as choices), or [] when there is no readable header.

    Examples
    --------
    >>> header_names(b"image;p;truth\\n1;0.2;0\\n")
    ['image', 'p', 'truth']
    """
    try:
        text = data[:65536].decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data[:65536]
    except AttributeError:
        return []
    text = text.lstrip("\ufeff")
    if not text.strip():
        return []
    delimiter, first = _header(text)
    return [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]


def from_predictions(predictions: dict, *, source: str) -> ScoreSet:
    """A run's saved test predictions (``scores``, ``labels``, optionally ``images``) as a :class:`ScoreSet`, the eye
    as its group when every id names one.

    Raises
    ------
    ScoresFileError
        Non-finite scores, labels other than 0 / 1, or one class only (as a file with them would).
    """
    return parse_scores(predictions_csv(predictions), source=source,
                        group="group" if predictions.get("images") is not None
                        and eye_groups(predictions["images"]) else None)


def combine(sets: dict[str, ScoreSet], *, source: str) -> ScoreSet:
    """Several score sets as one, each item's group the name of the set it came from (a site, say).

    Examples
    --------
    >>> a = parse_scores("score,label\\n0.9,1\\n0.1,0\\n")
    >>> combine({"site A": a, "site B": a}, source="both").groups.tolist()
    ['site A', 'site A', 'site B', 'site B']
    """
    names = list(sets)
    with_ids = all(s.ids is not None for s in sets.values())
    return ScoreSet(scores=np.concatenate([sets[n].scores for n in names]),
                    labels=np.concatenate([sets[n].labels for n in names]),
                    groups=np.concatenate([np.full(sets[n].n, n) for n in names]).astype(str),
                    ids=np.concatenate([sets[n].ids for n in names]) if with_ids else None, source=source,
                    columns={"score": "score", "label": "label", "group": "site", **({"id": "image"} if with_ids else {})})
