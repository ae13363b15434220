"""Why a bad dataset is refused with the file named: the dataset check, what a reader found (the usable items and the
problems, named by file)."""

from __future__ import annotations

import errno
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.demo.marker import DEMO_MARKER  # the demo generator writes it; the readers look for it


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file (or with the dataset as a whole).

    Attributes
    ----------
    file : str
        The file the problem is about, relative to the dataset folder where possible
        (``"train/10_left.jpeg"``), or the folder itself for dataset-wide problems.
    kind : str
        A short machine-readable category, e.g. ``"missing_image"``, ``"corrupt_jpeg"``.
    message : str
        A sentence for a person: what is wrong and, where it helps, what was expected.
    """

    file: str
    kind: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "kind": self.kind, "message": self.message}


@dataclass
class DatasetCheck:
    """The outcome of reading one dataset folder.

    ``items`` holds the usable items (their type depends on the reader); ``problems`` the files that
    were skipped and why. ``fatal`` is set when nothing can be used at all (no folder, no CSV...).
    """

    name: str  # what the folder holds, for people: "EyePACS fundus photos"
    path: Path
    items: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fatal: str | None = None
    synthetic: bool = False
    checked: bool = True  # False: read without checking each file (a large folder's first look; the full check follows)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the dataset can be used: no fatal problem and at least one item."""
        return self.fatal is None and len(self.items) > 0

    @property
    def n_items(self) -> int:
        return len(self.items)

    def add(self, file: str | Path, kind: str, message: str) -> None:
        self.problems.append(Problem(str(file), kind, message))

    def problem_counts(self) -> dict[str, int]:
        """Number of problems of each kind, most frequent first."""
        return dict(Counter(p.kind for p in self.problems).most_common())

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.name,
            "path": str(self.path),
            "ok": self.ok,
            "n_items": self.n_items,
            "synthetic": self.synthetic,
            "fatal": self.fatal,
            "summary": self.summary,
            "problem_counts": self.problem_counts(),
            "problems": [p.to_dict() for p in self.problems],
        }

    def format_text(self, max_per_kind: int = 5) -> str:
        """A human summary; problems of one kind beyond ``max_per_kind`` are counted, not listed."""
        lines = [f"{self.name} at {self.path}"]
        if self.synthetic:
            lines.append("  synthetic demo data (generated, not real patients)")
        if self.fatal:
            lines.append(f"  UNUSABLE: {self.fatal}")
        lines.append(f"  usable items: {self.n_items}")
        for key, value in self.summary.items():
            lines.append(f"  {key}: {value}")
        if self.problems:
            lines.append(f"  problems: {len(self.problems)}")
            for kind, count in self.problem_counts().items():
                of_kind = [p for p in self.problems if p.kind == kind]
                lines.append(f"    {kind} ({count}):")
                for p in of_kind[:max_per_kind]:
                    lines.append(f"      {p.file}: {p.message}")
                if count > max_per_kind:
                    lines.append(f"      ... and {count - max_per_kind} more of this kind")
        else:
            lines.append("  problems: none")
        return "\n".join(lines)


def is_dir(path: Path) -> bool:
    """Like ``Path.is_dir`` but False instead of an exception (permission denied, a symlink loop)."""
    try:
        return Path(path).is_dir()
    except OSError:
        return False


def is_file(path: Path) -> bool:
    """Like ``Path.is_file`` but False instead of an exception (permission denied, a symlink loop)."""
    try:
        return Path(path).is_file()
    except OSError:
        return False


def list_files(folder: Path) -> list[str]:
    """Names of the regular files in ``folder`` (symlinks to files count), sorted. Entries that vanish or
    cannot be examined while listing (a symlink loop, a dangling link) are left out.

    Raises
    ------
    OSError
        When the folder itself cannot be listed (permission denied): the caller names it.
    """
    names = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                if entry.is_file():
                    names.append(entry.name)
            except OSError:
                continue
    return sorted(names)


def missing_folders(root: Path, *subfolders: str) -> str | None:
    """None when ``root`` and each of its ``subfolders`` exist and can be listed, else a sentence naming the first that cannot."""
    root = Path(root)
    try:
        root.stat()
    except OSError as exc:
        if not root.exists() and not root.is_symlink():
            return f"folder {root} does not exist"
        return f"folder {root} cannot be read ({exc.strerror or exc})"
    if not is_dir(root):
        return f"folder {root} does not exist"
    for sub in subfolders:
        folder = root / sub
        if not is_dir(folder):
            try:
                folder.stat()
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    return f"folder {sub}/ in {root} cannot be read ({exc.strerror or exc})"
            return f"folder {sub}/ not found in {root}"
        if not os.access(folder, os.R_OK | os.X_OK):
            return f"folder {sub}/ in {root} cannot be read (permission denied)"
    return None




def is_synthetic(folder: Path) -> bool:
    """True when ``folder`` was written by the demo generator (it leaves a marker file there)."""
    return is_file(Path(folder) / DEMO_MARKER)
