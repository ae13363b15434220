"""Why a run gets its own process: ``python -m lib.jobs.worker RUN_DIR`` runs one job and exits (its memory with it).

The worker registers (so a reader can tell whether it lives), then waits for a training slot (:mod:`lib.jobs.queue`)
with nothing imported but the run folder's protocol: a waiting run costs about 16 MB, not the 140 MB of numpy and
pandas or the gigabytes of a framework, so a class of a hundred pressing Start at once waits in a few hundred MB. Only
with its slot does it import the job (:func:`lib.jobs.job.run_job`), handing it the slot and the config it read; the job
finds the run's task and trains it. A run whose config cannot be read, or names a task this server does not have, ends
as failed with that reason.

SIGTERM (``systemctl stop``, ``docker stop``, a shutdown) is handled like the Stop button: the job finishes its
batch, evaluates and saves what it learned, and ends as "stopped".
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from lib.jobs import queue
from lib.jobs.folder import files
from lib.jobs.folder.protocol import FINAL_STATES, register_worker, request_stop, update_status, why_not_start


def wait_for_slot(run_dir: Path, *, poll_s: float = 0.5):
    """Register and wait for a slot with nothing heavy imported: (slot, config) when the run may train now;
    (None, None) when the folder cannot be read (the job then says why); a final status when it ended before or while
    it waited (stopped before this process came, a stop request, nobody watching it)."""
    try:
        registered = register_worker(run_dir)  # at once: a reader can tell from now on whether this worker is alive
        if registered.get("state") in FINAL_STATES:
            return registered, None
        saved = files.read_json(run_dir / files.CONFIG)
    except (ValueError, OSError):
        return None, None
    waited = queue.wait_for_slot(run_dir, max_jobs=queue.max_jobs_from_env(), poll_s=poll_s,
                                 give_up=lambda since=time.time(): why_not_start(run_dir, saved, since=since))
    if isinstance(waited, str):
        try:
            return update_status(run_dir, state="stopped", stop_reason=waited, ended=time.time()), None
        except OSError:
            return {"state": "stopped", "stop_reason": waited, "unsaved": True}, None
    try:  # said before the imports: a reader sees that this worker has its slot and is loading, not waiting
        update_status(run_dir, slot=waited.index)
    except OSError:
        pass
    return waited, saved


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m lib.jobs.worker RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(argv[0])
    os.umask(0o077)  # what the job writes is private (the app server sets the same for itself)
    signal.signal(signal.SIGTERM, lambda *_: request_stop(run_dir))
    slot, saved = wait_for_slot(run_dir)
    if isinstance(slot, dict):  # ended while it waited
        return 0 if slot.get("state") in ("done", "stopped") else 1
    parent = os.environ.get("DLMI_PARENT_PID")
    from lib.jobs.job import run_job  # start-up cost: after the wait: the job imports numpy, the tasks, the engine

    status = run_job(run_dir, slot=slot, saved=saved, echo=lambda line: print(line, flush=True),
                     parent_pid=int(parent) if parent else None)
    return 0 if status.get("state") in ("done", "stopped") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
