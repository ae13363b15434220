"""Why a Start becomes a job somewhere: where jobs run, and how runs are started. The run folder is the whole
interface, so an executor only starts a job.

``LocalProcessExecutor`` starts one worker process per job on this machine (``python -m lib.jobs.worker RUN_DIR``; how
many train at once is bounded by the runs folder's slots, :mod:`lib.jobs.queue`). ``RayExecutor``
(:mod:`lib.jobs.ray_executor`) submits each run as a Ray task instead. Both say what they do in one sentence
(``describe``), which the Class page shows.

:func:`start_run` checks a run and makes its folder; :func:`start_sweep` does it for several runs with one setting
varied (a task's :class:`lib.contract.Experiment`, such as Lung 3D's label fractions).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Protocol

from lib import paths, tasks
from lib.contract import Task
from lib.jobs.folder import files
from lib.jobs.folder.describe import config_label
from lib.jobs.folder.protocol import FINAL_STATES, read_status, refresh_status, update_status
from lib.jobs.folder.store import RunStore
from lib.text import number
from lib.jobs import queue
from lib.training.config import ConfigError, validate_config


class Executor(Protocol):
    def submit(self, run_dir: Path) -> None:
        """Start (or queue) the job of ``run_dir``; must return quickly."""

    def describe(self) -> str:
        """How this executor runs jobs, in one sentence for the lecturer."""

    def capacity(self) -> int | None:
        """How many runs train at once (None: the scheduler decides, e.g. Ray by the cluster's free GPUs)."""


class LocalProcessExecutor:
    """One ``python -m lib.jobs.worker RUN_DIR`` child process per job.

    The child gets the parent's pid: if this process (the app) exits, the job stops at its next
    batch, saving what it learned, instead of running on unseen.
    """

    def __init__(self, python: str = sys.executable):
        self.python = python
        self._children: list[subprocess.Popen] = []

    def capacity(self) -> int:
        return queue.max_jobs_from_env()

    def describe(self) -> str:
        return (f"Jobs run as worker processes on this server, at most {queue.max_jobs_from_env()} training at once "
                "(DLMI_MAX_JOBS); waiting runs are served user by user in turn, not first come.")

    def submit(self, run_dir: Path) -> None:
        run_dir = Path(run_dir)
        env = {**os.environ, "DLMI_PARENT_PID": str(os.getpid()), "TF_FORCE_GPU_ALLOW_GROWTH": "true",
               "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"), "PYTHONUNBUFFERED": "1"}
        try:
            with open(run_dir / files.LOG, "ab") as log:
                child = subprocess.Popen([self.python, "-m", "lib.jobs.worker", str(run_dir)], cwd=paths.PROJECT_ROOT,
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        except OSError as exc:
            update_status(run_dir, state="failed", error=f"could not start a worker process: {exc}", ended=time.time())
            raise
        self._children.append(child)
        threading.Thread(target=_reap, args=(child, run_dir), daemon=True, name=f"reap-{run_dir.name}").start()


def _reap(child: subprocess.Popen, run_dir: Path) -> None:
    """Wait for a worker process to end, then write its run's end if it could not (killed, out of memory): the local
    executor owns its workers' stuck runs (:func:`lib.jobs.folder.protocol.refresh_status`)."""
    child.wait()
    try:
        refresh_status(run_dir)
    except (ValueError, OSError):
        pass  # deleted, or unreadable: the listing says why


def make_executor(kind: str | None = None, *, job: Callable[..., dict] | None = None) -> Executor:
    """The executor the app uses: ``DLMI_EXECUTOR`` = ``local`` (the default: worker processes on this machine,
    ``python -m lib.jobs.worker``) or ``ray`` (Ray tasks on the cluster at RAY_ADDRESS, :mod:`lib.jobs.ray_executor`,
    each running ``job``: :func:`lib.jobs.job.run_job`, which the caller hands in)."""
    kind = (kind or os.environ.get("DLMI_EXECUTOR") or "local").strip().lower()
    if kind == "local":
        return LocalProcessExecutor()
    if kind == "ray":
        if job is None:
            raise ValueError("a Ray executor needs the job its tasks run (lib.jobs.job.run_job)")
        from lib.jobs.ray_executor import RayExecutor  # optional: Ray: only on a server that uses it

        return RayExecutor(job)
    raise ValueError(f"DLMI_EXECUTOR must be local or ray, got {kind!r}")


def check_run(config: dict, task: Task, *, check=None) -> dict:
    """``config`` validated for ``task``, with every setting that names data checked against the dataset
    (``task.check_data``; ``check``: the dataset's check if the caller has it, else it is read). Raises
    :class:`lib.training.config.ConfigError` naming the setting."""
    checked = validate_config(config, task)
    if task.check_data is not None:
        report = check if check is not None else task.read(checked["data"])
        if report.ok:  # an unusable dataset is said by the page (or the job) as a whole, not setting by setting
            try:
                task.check_data(checked, report)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
    return checked


def _submit(run_dir: Path, executor: Executor) -> None:
    try:
        executor.submit(run_dir)
    except BaseException as exc:  # an executor that cannot take the run: the run ends failed, never stuck queued
        status = read_status(run_dir) if (run_dir / files.STATUS).is_file() else {}
        if status.get("state") not in FINAL_STATES:
            update_status(run_dir, state="failed", error=f"the job could not be handed over ({exc})", ended=time.time())
        raise


def _admit_and_create(store: RunStore, checked: list[dict], labels: list[str], *, owner: str,
                      admit: Callable[[list[dict]], None] | None) -> list[Path]:
    """The limit check and the folders' creation as one step (:meth:`RunStore.admission`): two Starts at the same
    moment, from two tabs or two app servers, cannot both pass a limit that only one of them fits."""
    with store.admission():
        store.settle_stuck()  # the one step that writes the stuck runs' end, before the limit counts active runs
        if admit is not None:
            admit(checked)
        return [store.create(c, owner=owner, label=label) for c, label in zip(checked, labels)]


def start_run(store: RunStore, config: dict, task: Task | None = None, *, owner: str, executor: Executor,
              label: str = "", admit: Callable[[list[dict]], None] | None = None, check=None) -> Path:
    """Check ``config`` (:func:`check_run`; ``task``: the task it is for, default the registered one it names), admit it
    and create its run folder in one step, and hand it to ``executor``; returns the folder. ``admit``: raises (e.g.
    :class:`lib.access.policy.LimitError`) when the run may not start."""
    task = task or tasks.for_config(config)
    checked = check_run(config, task, check=check)
    [run_dir] = _admit_and_create(store, [checked], [label or config_label(checked, task)], owner=owner, admit=admit)
    _submit(run_dir, executor)
    return run_dir


def start_sweep(store: RunStore, config: dict, task: Task, *, setting: str, values, owner: str, executor: Executor,
                name: str, admit: Callable[[list[dict]], None] | None = None, check=None) -> list[Path]:
    """Queue one run per value of ``setting``, all else equal, tagged as experiment ``name``. ``admit`` (the class's
    limits) sees all the runs first and refuses them together."""
    if setting not in task.fields:
        raise ValueError(f"{task.name} has no setting {setting!r} to vary")
    if check is None and task.check_data is not None:
        check = task.read(config["data"])  # once for all the runs
    configs = [{**config, setting: value, "experiment": name} for value in sorted(set(values))]
    checked = [check_run(c, task, check=check) for c in configs]

    def label(c: dict) -> str:
        varied = "" if setting in task.label_settings else f"{setting} {number(c[setting])} · "
        return f"{name} · {varied}{config_label(c, task)}"

    run_dirs = _admit_and_create(store, checked, [label(c) for c in checked], owner=owner, admit=admit)
    for run_dir in run_dirs:
        _submit(run_dir, executor)
    return run_dirs
