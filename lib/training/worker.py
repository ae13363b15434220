"""A worker process: ``python -m lib.training.worker RUN_DIR`` runs one job and exits (its memory with it).

SIGTERM (``systemctl stop``, ``docker stop``, a shutdown) is handled like the Stop button: the job
finishes its batch, evaluates and saves what it learned, and ends as "stopped".
"""

from __future__ import annotations

import os
import signal
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m lib.training.worker RUN_DIR", file=sys.stderr)
        return 2
    from lib.runs.protocol import request_stop
    from lib.training.job import run_job

    run_dir = argv[0]
    signal.signal(signal.SIGTERM, lambda *_: request_stop(run_dir))
    parent = os.environ.get("DLMI_PARENT_PID")
    status = run_job(run_dir, echo=lambda line: print(line, flush=True), parent_pid=int(parent) if parent else None)
    return 0 if status.get("state") in ("done", "stopped") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
