"""A worker process: ``python -m lib.worker RUN_DIR`` runs one job and exits (its memory with it).

The entry point that turns a run folder into a job: it finds the run's task in the registry (``lib.tasks``) and
hands it to the engine (:func:`lib.training.job.run_job`), which never looks a task up itself. A run whose config
cannot be read, or names a task this server does not have, ends as failed with that reason.

SIGTERM (``systemctl stop``, ``docker stop``, a shutdown) is handled like the Stop button: the job finishes its
batch, evaluates and saves what it learned, and ends as "stopped".
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from lib.runs import files
from lib.runs.protocol import FINAL_STATES, read_status, request_stop
from lib.training import job


def run_job(run_dir: str | Path, **options) -> dict:
    """Run the job in ``run_dir`` in this process with its registered task (``options``: as
    :func:`lib.training.job.run_job`); returns the final status."""
    from lib import tasks  # after the worker registered (main): the tasks pull in pandas, OpenCV, scikit-learn

    try:
        name = files.read_json(Path(run_dir) / files.CONFIG).get("task")
        task = tasks.get(name)
    except (ValueError, OSError) as exc:
        return job.fail(run_dir, f"the run's settings cannot be read ({exc})")
    except KeyError as exc:
        return job.fail(run_dir, str(exc).strip("'\""))
    return job.run_job(run_dir, task, **options)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m lib.worker RUN_DIR", file=sys.stderr)
        return 2
    run_dir = argv[0]
    os.umask(0o077)  # what the job writes is private (the app server sets the same for itself)
    signal.signal(signal.SIGTERM, lambda *_: request_stop(run_dir))
    try:
        if read_status(Path(run_dir)).get("state") in FINAL_STATES:
            return 0  # stopped before this process came: nothing to do
        job.register(run_dir)  # at once: a reader can tell from now on whether this worker is alive
    except (ValueError, OSError):
        pass  # the job says what is wrong with the folder
    parent = os.environ.get("DLMI_PARENT_PID")
    status = run_job(run_dir, echo=lambda line: print(line, flush=True), parent_pid=int(parent) if parent else None)
    return 0 if status.get("state") in ("done", "stopped") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
