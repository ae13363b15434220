"""A bounded number of jobs at a time, across processes: one lock file per slot (fcntl.flock).

The operating system releases a slot's lock when its holder dies, even by SIGKILL, so a crashed
job never blocks the queue.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class Slot:
    def __init__(self, fd: int, index: int):
        self.fd, self.index = fd, index

    def release(self) -> None:
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1


def try_acquire(root: Path, max_jobs: int) -> Slot | None:
    """Take a free slot without waiting, or return None when all ``max_jobs`` are busy."""
    folder = Path(root) / ".slots"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(max_jobs):
        fd = os.open(folder / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Slot(fd, index)
    return None


def max_jobs_from_env(default: int = 2) -> int:
    try:
        return max(1, int(os.environ.get("DLMI_MAX_JOBS", default)))
    except ValueError:
        return default
