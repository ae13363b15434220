"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every writer goes through :func:`atomic_path`: the content is written under a hidden temporary
name in the target's folder and renamed over the target only when it is complete. When writing
fails (a full disk, a crash of the writer), the temporary file is removed and the target is left
as it was; the error still reaches the caller.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    import numpy as np

TMP_PREFIX = ".tmp-"


def temporary_name(path: str | Path) -> Path:
    """A hidden, unique name beside ``path`` (same folder, so the final rename is atomic)."""
    path = Path(path)
    return path.with_name(f"{TMP_PREFIX}{os.getpid()}-{time.monotonic_ns()}-{path.name}")


@contextmanager
def atomic_path(path: str | Path, *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s new content to; on success it replaces ``path``, readable and
    writable by this user only (0600).

    ``durable`` flushes the file to disk before the rename (survives a power cut); files rewritten
    every half second (progress) skip it, since training would pay the milliseconds.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
    ('hello', ['a.txt'])
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        yield tmp
        if tmp.is_file():
            os.chmod(tmp, 0o600)  # what the app writes is private: configs name owners, caches hold patients' photos
        if durable and tmp.is_file():
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def remove_quietly(path: str | Path) -> None:
    """Remove a file or a folder tree if it is there; never raises."""
    path = Path(path)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def write_bytes_atomic(path: str | Path, data: bytes, *, durable: bool = True) -> None:
    with atomic_path(path, durable=durable) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def _json_default(value):
    if type(value).__module__ != "numpy":
        if isinstance(value, Path):
            return str(value)
        raise TypeError(f"cannot store {type(value).__name__} in JSON")
    import numpy as np  # start-up cost: only a numpy value needs it (a waiting worker writes plain JSON)

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def write_json_atomic(path: str | Path, obj: Any, *, durable: bool = True) -> None:
    write_bytes_atomic(path, json.dumps(obj, indent=1, default=_json_default).encode(), durable=durable)


def write_npz_atomic(path: str | Path, **arrays: np.ndarray) -> None:
    import numpy as np  # start-up cost: a waiting worker writes plain JSON and must stay a few MB

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_bytes_atomic(path, buffer.getvalue())


def save_npy_atomic(path: str | Path, array: np.ndarray, *, durable: bool = False) -> None:
    """One array as a ``.npy`` file (cache entries: not fsynced by default, a lost one is recomputed)."""
    import numpy as np  # start-up cost: a waiting worker writes plain JSON and must stay a few MB

    with atomic_path(path, durable=durable) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, array)


def leftover_temporaries(folder: str | Path) -> list[Path]:
    """Temporary files an interrupted writer left in ``folder`` (not recursive)."""
    folder = Path(folder)
    try:
        return sorted(p for p in folder.iterdir() if p.name.startswith(TMP_PREFIX))
    except OSError:
        return []
