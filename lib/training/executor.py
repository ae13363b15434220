"""Where jobs run. The run folder is the whole interface, so an executor only has to start a job.

``LocalProcessExecutor`` starts one worker process per job on this machine (the number running at
once is bounded by the slots in ``lib.training.slots``). A distributed executor (a Ray task that
calls :func:`lib.training.job.run_job` on a shared runs folder) would implement the same ``submit``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Protocol

from lib import paths
from lib.runs import files
from lib.runs.protocol import update_status
from lib.runs.store import RunStore
from lib.training.config import validate_config


class Executor(Protocol):
    def submit(self, run_dir: Path) -> None:
        """Start (or queue) the job of ``run_dir``; must return quickly."""


class LocalProcessExecutor:
    """One ``python -m lib.training.worker RUN_DIR`` child process per job.

    The child gets the parent's pid: if this process (the app) exits, the job stops at its next
    batch, saving what it learned, instead of running on unseen.
    """

    def __init__(self, python: str = sys.executable):
        self.python = python
        self._children: list[subprocess.Popen] = []

    def submit(self, run_dir: Path) -> None:
        run_dir = Path(run_dir)
        env = {**os.environ, "DLMI_PARENT_PID": str(os.getpid()), "TF_FORCE_GPU_ALLOW_GROWTH": "true",
               "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"), "PYTHONUNBUFFERED": "1"}
        try:
            with open(run_dir / files.LOG, "ab") as log:
                child = subprocess.Popen([self.python, "-m", "lib.training.worker", str(run_dir)], cwd=paths.PROJECT_ROOT,
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        except OSError as exc:
            update_status(run_dir, state="failed", error=f"could not start a worker process: {exc}", ended=time.time())
            raise
        self._children.append(child)
        threading.Thread(target=child.wait, daemon=True, name=f"reap-{run_dir.name}").start()


def make_executor(kind: str | None = None) -> Executor:
    """The executor the app uses: ``DLMI_EXECUTOR`` = ``local`` (the default: worker processes on this machine)
    or ``ray`` (Ray tasks on the cluster at RAY_ADDRESS, :mod:`lib.training.ray_executor`)."""
    kind = (kind or os.environ.get("DLMI_EXECUTOR") or "local").strip().lower()
    if kind == "local":
        return LocalProcessExecutor()
    if kind == "ray":
        from lib.training.ray_executor import RayExecutor

        return RayExecutor()
    raise ValueError(f"DLMI_EXECUTOR must be local or ray, got {kind!r}")


def start_fraction_experiment(store: RunStore, config: dict, fractions, *, owner: str, executor: Executor,
                              name: str, admit: Callable[[list[dict]], None] | None = None) -> list[Path]:
    """Queue one run per label fraction, all else equal, tagged as experiment ``name``. ``admit`` (the class's
    limits, :func:`lib.access.policy.check_limits`) sees all the runs first and raises to refuse them together."""
    from lib.runs.describe import config_label

    if "label_fraction" not in config:
        raise ValueError(f"a label-fraction experiment needs a task with a label_fraction setting, got {config.get('task')!r}")
    configs = [{**config, "label_fraction": fraction, "experiment": name}
               for fraction in sorted(set(float(f) for f in fractions))]
    if admit is not None:
        admit([validate_config(c) for c in configs])
    return [start_run(store, c, owner=owner, executor=executor, label=f"{name} · {config_label(c)}") for c in configs]


def start_run(store: RunStore, config: dict, *, owner: str, executor: Executor, label: str = "",
              admit: Callable[[list[dict]], None] | None = None) -> Path:
    """Validate ``config``, create its run folder and hand it to ``executor``; returns the run folder.
    ``admit``: raises (e.g. :class:`lib.access.policy.LimitError`) when the run may not start."""
    checked = validate_config(config)
    if admit is not None:
        admit([checked])
    run_dir = store.create(checked, owner=owner, label=label)
    executor.submit(run_dir)
    return run_dir
