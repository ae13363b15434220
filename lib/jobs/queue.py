"""Why a hundred Starts do not train at once: which waiting run trains next, how many train at once, and what a place
in the queue costs in minutes.

One module for every executor. The local executor's workers wait here for a slot (:func:`wait_for_slot`); the Ray
executor lets Ray decide when a run starts but writes the same positions (:func:`fair_order` over the runs Ray holds
back), so the panel and the Class page read one ``queue_position`` whatever runs the jobs.

- **Order**: users in turn (:func:`fair_order`), not first come.
- **Slots**: at most ``DLMI_MAX_JOBS`` jobs train at once per runs folder: one lock file per slot in the runs folder
  (``fcntl.flock``), so the bound holds across worker processes and across several app servers sharing the folder;
  the operating system releases a slot when its holder dies, even by SIGKILL, so a crashed job never blocks it.
- **Waits**: a rough estimate from the recent runs' durations (:func:`wait_estimate_s`).
"""

from __future__ import annotations

import fcntl
import os
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from lib.jobs.folder import files
from lib.jobs.folder.protocol import ACTIVE_STATES, START_GRACE_S, current_status, update_status

DEFAULT_MAX_JOBS = 2
STARTING_GRACE_S = START_GRACE_S  # a queued run whose worker has not registered yet keeps its place this long


def fair_order(queued: list[tuple[float, str, str]], running: Counter) -> list[str]:
    """The order in which waiting runs get a slot: users in turn (round robin), not first come.

    ``queued``: (submitted, run name, owner) of every waiting run; ``running``: runs now training per owner.
    A user's k-th waiting run comes in round (their running runs + k); within a round, the earlier submission first.
    So one student's seven runs wait behind everyone else's first, and a student already training waits behind
    those who are not.

    Examples
    --------
    >>> fair_order([(1, "a1", "ann"), (2, "a2", "ann"), (3, "a3", "ann"), (4, "b1", "bob"), (5, "c1", "cy")], Counter())
    ['a1', 'b1', 'c1', 'a2', 'a3']
    >>> fair_order([(1, "a1", "ann"), (4, "b1", "bob")], Counter({"ann": 1}))
    ['b1', 'a1']
    """
    rounds = Counter(running)
    keyed = []
    for submitted, name, owner in sorted(queued):
        keyed.append((rounds[owner], submitted, name))
        rounds[owner] += 1
    return [name for _, _, name in sorted(keyed)]


def _owner(run_dir: Path) -> str | None:
    """The run's owner ("" when its config names none); None when its config cannot be read: no worker can run it."""
    try:
        owner = files.read_json(run_dir / files.CONFIG).get("owner")
    except (ValueError, OSError):
        return None
    return owner if isinstance(owner, str) else ""


def _folders(root: Path) -> list[Path]:
    try:
        return sorted(p for p in Path(root).iterdir() if not p.name.startswith(".") and p.is_dir())
    except OSError:
        return []


def waiting(root: Path, *, starting_grace_s: float = STARTING_GRACE_S,
            counts: Callable[[Path, dict], bool] | None = None) -> list[str]:
    """The names of the runs waiting in the runs folder ``root``, in the order they will get a slot.

    A queued run counts when its worker has registered (a pid) or it was submitted less than ``starting_grace_s``
    ago (its process is starting); ``counts(run_dir, status)`` may narrow it further (Ray: the runs it holds back).
    Every status is read through the schema: another run's folder is never trusted.
    """
    queued, running = [], Counter()
    for run_dir in _folders(root):
        try:
            status = current_status(run_dir)
        except (ValueError, OSError):
            continue
        state = status.get("state")
        if state not in ACTIVE_STATES:
            continue
        owner = _owner(run_dir)
        if owner is None:  # a folder whose config cannot be read never runs: it holds nobody back
            continue
        if state == "running":
            running[owner] += 1
            continue
        fresh = time.time() - float(status.get("submitted", 0.0)) < starting_grace_s
        if counts is not None:
            if counts(run_dir, status):
                queued.append((float(status.get("submitted", 0.0)), run_dir.name, owner))
        elif status.get("pid") or fresh:
            queued.append((float(status.get("submitted", 0.0)), run_dir.name, owner))
    return fair_order(queued, running)


def position(root: Path, run_dir: Path, *, starting_grace_s: float = STARTING_GRACE_S) -> int | None:
    """0-based place of ``run_dir`` among the waiting runs (:func:`waiting`); None if it is not waiting."""
    order = waiting(root, starting_grace_s=starting_grace_s)
    name = Path(run_dir).name
    return order.index(name) if name in order else None


def recent_durations(root: Path, *, limit: int = 20) -> list[float]:
    """Start-to-end seconds of the last ``limit`` runs that finished ("done"), newest first."""
    found = []
    for run_dir in reversed(_folders(root)):  # run ids start with their creation time: newest last
        try:
            status = current_status(run_dir)
        except (ValueError, OSError):
            continue
        if status.get("state") == "done" and isinstance(status.get("started"), (int, float)) \
                and isinstance(status.get("ended"), (int, float)):
            found.append(float(status["ended"]) - float(status["started"]))
            if len(found) >= limit:
                break
    return found


def wait_estimate_s(place: int, max_jobs: int, recent: Iterable[float]) -> float | None:
    """A rough wait for the run at 0-based ``place`` in the queue, with ``max_jobs`` training at once: the runs
    ahead of it, and the ones training now, take the median of the ``recent`` run durations each, ``max_jobs`` at a
    time. None without any recent run to go by.

    Examples
    --------
    >>> wait_estimate_s(0, 1, [60, 120, 90]), wait_estimate_s(3, 2, [60, 120, 90]), wait_estimate_s(2, 1, [])
    (90.0, 180.0, None)
    """
    recent = [float(d) for d in recent if d > 0]
    if not recent:
        return None
    return (place // max(1, max_jobs) + 1) * statistics.median(recent)


# --- slots ---------------------------------------------------------------------------------------------------------
class Slot:
    """One of the runs folder's training slots, held by this process until :meth:`release` (or its death)."""

    def __init__(self, fd: int, index: int):
        self.fd, self.index = fd, index

    def release(self) -> None:
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1


def try_acquire(root: Path, max_jobs: int) -> Slot | None:
    """Take a free slot of the runs folder ``root`` without waiting, or return None when all ``max_jobs`` are busy."""
    folder = Path(root) / ".slots"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for index in range(max_jobs):
        fd = os.open(folder / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Slot(fd, index)
    return None


def busy_slots(root: Path, max_jobs: int) -> int:
    """How many of the runs folder's ``max_jobs`` slots are held now (by any process, this one included): each is
    tried without waiting and let go at once."""
    folder = Path(root) / ".slots"
    busy = 0
    for index in range(max_jobs):
        try:
            fd = os.open(folder / f"slot-{index}.lock", os.O_RDONLY)
        except OSError:
            continue  # never made: nobody holds it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            busy += 1
        finally:
            os.close(fd)  # closing drops the lock if it was taken
    return busy


class SharingSampler:
    """How many jobs train at once while one does (itself included): the slots held, sampled every ``every_s`` seconds
    in a daemon thread from start to :meth:`stop`, which returns their mean (for :mod:`lib.jobs.speed`).

    Two counts, at a run's start and end, miss most of the overlap of runs started together (the first to start saw
    itself alone, the last to end saw itself alone), and the slow-down per extra job came out far too high.
    """

    def __init__(self, root: Path, max_jobs: int, *, every_s: float = 2.0):
        import threading  # order: only a job that holds a slot samples

        self._root, self._max_jobs, self._every_s = Path(root), max_jobs, every_s
        self._samples = [busy_slots(self._root, max_jobs)]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True, name="sharing-sampler")
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(self._every_s):
            self._samples.append(busy_slots(self._root, self._max_jobs))

    @property
    def first(self) -> int:
        """The slots held when sampling began."""
        return self._samples[0]

    @property
    def last(self) -> int:
        """The slots held at the latest sample (after :meth:`stop`: when it stopped)."""
        return self._samples[-1]

    @property
    def taken(self) -> int:
        """How many samples so far."""
        return len(self._samples)

    def stop(self) -> float:
        """Stop sampling; the mean of the samples, one sample taken now included."""
        self._done.set()
        self._thread.join(timeout=self._every_s + 1)
        self._samples.append(busy_slots(self._root, self._max_jobs))
        return round(statistics.fmean(self._samples), 2)


def max_jobs_from_env(default: int = DEFAULT_MAX_JOBS) -> int:
    """``DLMI_MAX_JOBS`` (at least 1), else ``default``."""
    try:
        return max(1, int(os.environ.get("DLMI_MAX_JOBS", default)))
    except ValueError:
        return default


def wait_for_slot(run_dir: Path, *, max_jobs: int, poll_s: float, give_up: Callable[[], str | None]):
    """Block until the run in ``run_dir`` may start: first in the queue and a slot free. Writes its place and the
    estimated wait into its status whenever the place changes.

    Returns the :class:`Slot`, or the sentence ``give_up()`` returned (a stop request, nobody watching).
    """
    root = Path(run_dir).parent
    last = -1
    while True:
        reason = give_up()
        if reason:
            return reason
        place = position(root, run_dir)
        if place in (0, None):
            slot = try_acquire(root, max_jobs)
            if slot is not None:
                return slot
        if place != last:
            wait = None if place is None else wait_estimate_s(place, max_jobs, recent_durations(root))
            update_status(run_dir, queue_position=place, queue_wait_s=wait)
            last = place
        # far back in the queue nothing changes fast: a class's thirty waiting workers need not each read every
        # run folder twice a second
        time.sleep(poll_s if place in (0, None) else max(poll_s, 2.0))
