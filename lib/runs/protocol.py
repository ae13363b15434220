"""The run-folder protocol between the pages and a job: status, stop requests and the heartbeat.

- ``status.json``: the job's state (queued, running, stopped, done, failed), its worker's pid and
  host, times, the error or stop reason. Written by the job; read by everyone.
- ``STOP``: present when someone asked the job to stop. The job checks for it every batch.
- ``ui_seen`` (the heartbeat): touched by a page while a browser shows the run; a run started from a
  page gives up when nobody has looked at it for a while.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterable

import psutil

from lib.atomic import leftover_temporaries, remove_quietly
from lib.runs import files
from lib.runs.files import read_json, write_json_atomic
from lib.runs.schema import check_status

ACTIVE_STATES = ("queued", "running")
FINAL_STATES = ("stopped", "done", "failed")
LOST_WORKER = "the worker process ended without reporting (killed from outside, or crashed hard, e.g. out of memory)"


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
    """status.json, checked (:func:`lib.runs.schema.check_status`); raises ValueError naming what is wrong."""
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
    """True when an active run's worker on this host no longer exists (or is another process now)."""
    if status.get("state") not in ACTIVE_STATES or status.get("host") != files.host() or not status.get("pid"):
        return False
    pid, registered = status["pid"], float(status.get("pid_started") or 0.0)
    if not isinstance(pid, int) or isinstance(pid, bool):
        return True  # an unreadable pid cannot be a live worker of ours
    started = process_identity(pid)
    return started is None or (registered and abs(started - registered) > 1.0)


def refresh_status(run_dir: Path, status: dict | None = None) -> dict:
    """The run's status, after marking it failed if its worker on this host is gone while it is active."""
    run_dir = Path(run_dir)
    status = status if status is not None else read_status(run_dir)
    if worker_gone(status):
        for leftover in leftover_temporaries(run_dir):  # a write the killed worker never finished
            remove_quietly(leftover)
        status = update_status(run_dir, state="failed", error=LOST_WORKER, ended=time.time())
    return status


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
