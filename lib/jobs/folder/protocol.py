"""Why a page can follow and stop a job it did not start: status, stop requests and the heartbeat in the run folder.

- ``status.json``: the job's state (queued, running, stopped, done, failed), its worker's pid and
  host, times, the error or stop reason. Written by the job; read by everyone.
- ``STOP``: present when someone asked the job to stop. The job checks for it every batch.
- ``ui_seen`` (the heartbeat): touched by a page while a browser shows the run; a run started from a
  page gives up when nobody has looked at it for a while.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, Iterable

import psutil

from lib.atomic import leftover_temporaries, remove_quietly
from lib.jobs.folder import files
from lib.jobs.folder.files import read_json, write_json_atomic
from lib.jobs.folder.schema import check_status

ACTIVE_STATES = ("queued", "running")
FINAL_STATES = ("stopped", "done", "failed")
LOST_WORKER = "the worker process ended without reporting (killed from outside, or crashed hard, e.g. out of memory)"
NEVER_STARTED = ("the worker never started: it was killed (or could not write its status, e.g. on a full disk) before "
                 "it registered; start the run again")
LOW_DISK_BYTES = 1024 * 1024  # below this much free space a worker cannot write its results (nor its error)
RAY_WATCHER_GONE = ("the app server that handed it to Ray is gone, so nothing watches it while Ray holds it back; "
                    "start the run again")
# How long a run may wait for its worker to register (a process that starts, imports and writes its status takes
# seconds; a loaded machine, tens of seconds), and how long a Ray run may go without its watcher's word
# (DLMI_START_GRACE_S / DLMI_RAY_WATCH_GRACE_S override them; the fault tests use seconds).
START_GRACE_S = 90.0
RAY_WATCH_GRACE_S = 120.0


def _grace(name: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(name, default)))
    except ValueError:
        return default


def process_identity(pid: int) -> float | None:
    """Start time of process ``pid`` (identifies it even if the pid is reused), or None if it is gone."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError, OverflowError):
        return None


def read_status(run_dir: Path) -> dict:
    """status.json, checked (:func:`lib.jobs.folder.schema.check_status`); raises ValueError naming what is wrong."""
    return check_status(read_json(Path(run_dir) / files.STATUS))


def update_status(run_dir: Path, **fields: Any) -> dict:
    """Merge ``fields`` into status.json (atomically) and return the new status."""
    run_dir = Path(run_dir)
    try:
        status = read_status(run_dir)
    except ValueError:
        status = {}
    status.update(fields, updated=time.time())
    write_json_atomic(run_dir / files.STATUS, status)
    return status


def worker_gone(status: dict) -> bool:
    """True when an active run's worker on this host no longer exists (or is another process now). A pid that no
    worker can have (0, 1: the init process, negative, not a whole number) is gone: a hand-edited ``pid: 1`` would
    otherwise stay "running" forever.

    Examples
    --------
    >>> base = {"state": "running", "host": files.host()}
    >>> worker_gone({**base, "pid": 0}), worker_gone({**base, "pid": 1}), worker_gone({**base, "pid": "12"})
    (True, True, True)
    >>> worker_gone({"state": "queued", "host": files.host()})  # no worker registered yet: not gone
    False
    """
    if status.get("state") not in ACTIVE_STATES or status.get("host") != files.host() or status.get("pid") is None:
        return False
    pid, registered = status["pid"], status.get("pid_started") or 0.0
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 1:
        return True  # an unreadable pid, or one no worker of ours can have
    try:
        registered = float(registered)
    except (TypeError, ValueError):
        return True
    started = process_identity(pid)
    return started is None or (registered and abs(started - registered) > 1.0)


def stuck_reason(status: dict, *, now: float | None = None) -> str | None:
    """Why an active run can never end by itself, or None while it still may. The one rule every reader applies
    (:func:`refresh_status`):

    - its worker on this host is gone (killed, out of memory): :data:`LOST_WORKER`;
    - it is queued with no worker registered :data:`START_GRACE_S` after its submission, and no Ray task is meant to
      start it (killed in its first fraction of a second, or it could not write its status on a full disk):
      :data:`NEVER_STARTED`;
    - it waits inside Ray with no worker yet, and the app server's watcher (which writes ``ray_watched`` every few
      seconds) has been silent for :data:`RAY_WATCH_GRACE_S` (the app server or the Ray head is gone):
      :data:`RAY_WATCHER_GONE`.

    Examples
    --------
    >>> stuck_reason({"state": "queued", "submitted": 0.0}, now=1000.0) == NEVER_STARTED
    True
    >>> stuck_reason({"state": "queued", "submitted": 990.0}, now=1000.0) is None  # still starting
    True
    >>> stuck_reason({"state": "queued", "executor": "ray", "submitted": 0.0, "ray_watched": 950.0}, now=1000.0) is None
    True
    """
    if status.get("state") not in ACTIVE_STATES:
        return None
    if worker_gone(status):
        return LOST_WORKER
    if status.get("pid") is not None or status.get("state") != "queued":
        return None
    now = time.time() if now is None else now
    if status.get("executor") == "ray":
        watched = status.get("ray_watched", status.get("submitted", now))
        return RAY_WATCHER_GONE if now - float(watched) > _grace("DLMI_RAY_WATCH_GRACE_S", RAY_WATCH_GRACE_S) else None
    return NEVER_STARTED if now - float(status.get("submitted", now)) > _grace("DLMI_START_GRACE_S", START_GRACE_S) else None


def current_status(run_dir: Path, status: dict | None = None) -> dict:
    """The run's status as every reader sees it: failed, with the reason, when it can never end by itself
    (:func:`stuck_reason`). A read: nothing is written (:func:`refresh_status` is the step that writes it)."""
    run_dir = Path(run_dir)
    status = status if status is not None else read_status(run_dir)
    reason = stuck_reason(status)
    if reason:
        return {**status, "state": "failed", "error": _with_disk(run_dir, reason), "ended": time.time()}
    return status


def refresh_status(run_dir: Path, status: dict | None = None) -> dict:
    """The run's status, after marking it failed when it can never end by itself (:func:`stuck_reason`): the explicit
    step, done by its owners only (the local executor when a worker process ends, the admission lock before it counts
    runs: :meth:`lib.jobs.folder.store.RunStore.settle_stuck`); readers use :func:`current_status`. When even that
    cannot be written (a full disk), the failed status is returned unwritten: every reader still sees a final
    state, and the next owner tries to write it again."""
    run_dir = Path(run_dir)
    status = status if status is not None else read_status(run_dir)
    reason = stuck_reason(status)
    if reason:
        reason = _with_disk(run_dir, reason)
        for leftover in leftover_temporaries(run_dir):  # a write the killed worker never finished
            remove_quietly(leftover)
        failed = {"state": "failed", "error": reason, "ended": time.time()}
        try:
            status = update_status(run_dir, **failed)
        except OSError:
            status = {**status, **failed, "unsaved": True}
    return status


def _with_disk(run_dir: Path, reason: str) -> str:
    """``reason``, or why the disk explains it: a worker on a full disk dies without being able to say so, and
    "killed from outside, or out of memory" would send the student the wrong way.

    Examples
    --------
    >>> _with_disk(Path("/"), "x") in ("x",) or "disk" in _with_disk(Path("/"), "x")
    True
    """
    try:
        free = shutil.disk_usage(run_dir).free
    except OSError:
        return reason
    if free >= LOW_DISK_BYTES:
        return reason
    return (f"the disk of the runs folder is full ({free // 1024} KB free), so the worker could not write its results "
            "or its error: free some space (delete old runs or cached photos) and start the run again")


ABANDON_AFTER_S_DEFAULT = 900.0


def _abandon_after_s() -> float:
    try:
        return float(os.environ.get("DLMI_ABANDON_AFTER_S", ABANDON_AFTER_S_DEFAULT))
    except ValueError:
        return ABANDON_AFTER_S_DEFAULT


def abandoned(run_dir: Path, config: dict, *, since: float) -> str | None:
    """For a run started from a page (``watch`` in its config): why to give up when no browser has looked
    at it for longer than DLMI_ABANDON_AFTER_S (the page touches the heartbeat while it shows the run or
    keeps it queued); ``since`` is when this job began, for runs no page has looked at yet. Else None."""
    if not config.get("watch"):
        return None
    last = last_heartbeat(run_dir) or since
    idle, limit = time.time() - last, _abandon_after_s()
    if idle > limit:
        return f"no browser has watched this run for {idle / 60:.0f} minutes (limit {limit / 60:.0f})"
    return None


def why_not_start(run_dir: Path, config: dict, *, since: float) -> str | None:
    """Why a run that has not started must not (a stop request, or nobody watching it), else None."""
    if stop_requested(run_dir):
        return "stopped before it started"
    return abandoned(run_dir, config, since=since)


def register_worker(run_dir: str | Path) -> dict:
    """Say that this process is the run's worker (its pid, start time and host), so that a reader can tell when it
    is gone; the first thing a worker does, and its one read of the status before it waits. Returns the status: a run
    already final (stopped, or given up as never started, before this worker came) is returned as it is, unregistered.
    An unreadable status.json is replaced by the registration (the job then says what else is wrong)."""
    run_dir = Path(run_dir)
    try:
        status = read_status(run_dir)
    except ValueError:
        status = {}
    if status.get("state") in FINAL_STATES:
        return status
    status.update(state="queued", pid=os.getpid(), pid_started=process_identity(os.getpid()), host=files.host(),
                  updated=time.time())
    write_json_atomic(run_dir / files.STATUS, status)
    return status


def stop_now(run_dir: Path) -> dict | None:
    """Stop a run that has no worker to stop it: a queued run whose worker never registered (or is gone) ends as
    stopped at once, so Stop and Delete always work. Returns the new status, or None when a live worker will stop
    it itself after its current batch."""
    run_dir = Path(run_dir)
    request_stop(run_dir)
    try:
        status = read_status(run_dir)
    except ValueError:
        return None
    if status.get("state") == "queued" and (not status.get("pid") or worker_gone(status)):
        return update_status(run_dir, state="stopped", stop_reason="stopped before it started", ended=time.time())
    return None


def request_stop(run_dir: Path) -> None:
    """Ask the job to stop; it finishes the current batch, saves what it learned and ends as "stopped"."""
    (Path(run_dir) / files.STOP).touch()


def stop_requested(run_dir: Path) -> bool:
    return (Path(run_dir) / files.STOP).exists()


def touch_heartbeat(run_dirs: Iterable[Path]) -> None:
    """A browser is looking at these runs (or keeps them queued): none of them may give up."""
    for run_dir in run_dirs:
        try:
            (Path(run_dir) / files.HEARTBEAT).touch()
        except OSError:
            pass  # a run deleted meanwhile


def last_heartbeat(run_dir: Path) -> float | None:
    """When a browser last looked at the run (epoch seconds), or None if none ever did."""
    try:
        return (Path(run_dir) / files.HEARTBEAT).stat().st_mtime
    except OSError:
        return None


def has_results(summary) -> bool:
    """A finished run with test results to show (a run stopped before it learned anything has none)."""
    return summary.state in ("done", "stopped") and bool(summary.metrics)


def partition_runs(runs: list) -> tuple[list, list]:
    """(runs with results, runs without: failed or stopped before an epoch), each in the given order."""
    with_results = [r for r in runs if has_results(r)]
    without = [r for r in runs if r.state == "failed" or (r.state == "stopped" and not r.metrics)]
    return with_results, without


def followed_run(runs: list, owner: str):
    """The run a user's training panel follows: their training one, else their oldest queued one, else None.

    ``runs`` are newest first (as :meth:`RunStore.list` gives them).
    """
    mine = [r for r in runs if r.state in ACTIVE_STATES and r.owner == owner]
    return next((r for r in mine if r.state != "queued"), mine[-1] if mine else None)


def change_stamp(run_dir: Path) -> tuple:
    """What a page watching a run compares to know whether anything changed: the modification times of
    status.json, progress.json, history.csv and STOP (four ``stat`` calls, no file read)."""
    stamp = []
    for name in (files.STATUS, files.PROGRESS, files.HISTORY, files.STOP):
        try:
            stamp.append((Path(run_dir) / name).stat().st_mtime_ns)
        except OSError:
            stamp.append(None)
    return tuple(stamp)
