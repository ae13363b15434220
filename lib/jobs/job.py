"""Why a run folder becomes a trained model: the one job that takes a run from its folder to a final state.

:func:`run_job` registers the worker, reads the run's config once, finds its task in the registry (:mod:`lib.tasks`, the
one place that turns a task's name into a task), waits for a slot (:mod:`lib.jobs.queue`) unless its caller holds one,
sets up the Keras backend, hands the task to the engine (:mod:`lib.training`) and saves what it measured.

Whatever happens, the run ends in a final state: "done", "stopped" (a stop request, SIGTERM, an
abandoned browser, the app exiting: what was learned so far is saved and evaluated; a stop before
training began ends without results) or "failed" (with the reason; the traceback goes to log.txt).
Nothing half-written stays behind: files are written atomically and leftover temporaries are removed.
"""

from __future__ import annotations

import errno
import importlib
import os
import platform
import time
import traceback
from pathlib import Path
from typing import Callable

import numpy as np

from lib import tasks
from lib.atomic import leftover_temporaries, remove_quietly
from lib.jobs.folder import files
from lib.jobs.folder.files import read_json, write_json_atomic
from lib.jobs.folder.protocol import FINAL_STATES, register_worker, update_status, why_not_start
from lib.jobs import queue, speed
from lib.training.config import validate_config
from lib.training.context import Diverged, Stopped, TaskContext
from lib.training.device import accelerators


def _versions() -> dict:
    """What the run trained with: Python, Keras, its backend and that framework's version, and the accelerators seen."""
    import keras  # framework: the job's process only: this module is also imported by the pages (for explain)

    backend = keras.backend.backend()
    framework = importlib.import_module({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend, backend))
    return {"python": platform.python_version(), "keras": keras.__version__, "backend": backend,
            backend: getattr(framework, "__version__", "?"), "numpy": np.__version__, "devices": accelerators(backend)}


def setup_backend(seed: int, precision: str = "float32") -> None:
    """Share the GPU politely, seed everything and set the precision policy (``float32``, ``mixed_float16`` or
    ``mixed_bfloat16``: every model built after this computes in it), whichever Keras backend is in use
    (KERAS_BACKEND).

    TensorFlow grows its GPU memory as needed instead of taking it all; JAX is told not to preallocate 75 %
    of the card (XLA_PYTHON_CLIENT_PREALLOCATE, read when JAX starts: set here before Keras imports it).
    Only the backend in use is imported: a JAX or PyTorch server needs no TensorFlow.
    """
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import keras  # order: after the variable above, which JAX reads when it starts

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # framework: only the backend in use: a JAX server needs no TensorFlow

        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:
                pass  # already initialised in this process
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy(precision)  # also float32: a process that runs jobs one after another


def _no_space(exc: BaseException) -> OSError | None:
    """The ENOSPC error behind ``exc`` (libraries wrap it), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return exc
        if "No space left on device" in str(exc):
            return exc if isinstance(exc, OSError) else OSError(errno.ENOSPC, str(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def explain(exc: BaseException, run_dir: Path | None = None) -> str:
    """One sentence saying why a job failed, for the person who started it."""
    name = type(exc).__name__
    if isinstance(exc, Diverged):
        return str(exc)
    full = _no_space(exc)
    if full is not None:
        where = full.filename or (str(run_dir) if run_dir else "the disk")
        return f"no space left on {where}: free some disk space (or delete old runs) and start the run again"
    if isinstance(exc, MemoryError) or name == "ResourceExhaustedError" or "out of memory" in str(exc).lower():
        return f"out of memory ({name}): try a smaller batch size, image size or model, or wait for other jobs to finish"
    if isinstance(exc, ValueError) and type(exc).__module__.startswith("lib."):
        return str(exc)  # our own errors (bad data, bad settings) already say what and where
    return f"{name}: {exc}"


def _log(run_dir: Path, text: str) -> None:
    try:
        with open(run_dir / files.LOG, "a") as log:
            log.write(text)
    except OSError:
        pass  # a full disk: the status says why


def _final(run_dir: Path, **fields) -> dict:
    """Write the final status; when even that cannot be written (a full disk), return it unwritten: the
    worker then exits, and the next reader marks the run failed as a lost worker."""
    for leftover in leftover_temporaries(run_dir):
        remove_quietly(leftover)
    try:
        return update_status(run_dir, ended=time.time(), **fields)
    except OSError:
        return {"state": fields.get("state"), "error": fields.get("error"), "stop_reason": fields.get("stop_reason"),
                "unsaved": True}


def _task_of(run_dir: Path, saved: dict | None):
    """(config, task) of the run, or (None, the reason it cannot run) when its config cannot be read or names a task
    this server does not have."""
    try:
        saved = saved if saved is not None else read_json(run_dir / files.CONFIG)
    except (ValueError, OSError) as exc:
        return None, f"the run's settings cannot be read ({exc})"
    try:
        return saved, tasks.get(saved.get("task"))
    except KeyError as exc:
        return None, str(exc).strip("'\"")


def run_job(run_dir: str | Path, *, echo: Callable[[str], None] = print, max_jobs: int | None = None,
            poll_s: float = 0.5, parent_pid: int | None = None, use_slots: bool = True, slot=None,
            saved: dict | None = None) -> dict:
    """Run the job in ``run_dir`` in this process with the task its config names, and return its final status. Never
    raises (but for Ctrl-C).

    ``use_slots``: wait for one of the runs folder's slots (:mod:`lib.jobs.queue`) first; off where a scheduler
    (Ray) already decided that the job may run now. ``slot``: a slot the caller already holds (the worker process
    waits for it before importing anything heavy, :mod:`lib.jobs.worker`), with the run registered and its config read
    (``saved``): the job then reads nothing of that again. The job releases the slot."""
    run_dir = Path(run_dir)
    try:
        if slot is None:
            before = register_worker(run_dir)
            if before.get("state") in FINAL_STATES:  # stopped (or given up as never started) before this worker came
                return before
        saved, task = _task_of(run_dir, saved)
        if saved is None:
            return _final(run_dir, state="failed", error=task)
        if slot is None:
            if use_slots:
                waited = queue.wait_for_slot(run_dir, max_jobs=max_jobs or queue.max_jobs_from_env(), poll_s=poll_s,
                                             give_up=lambda since=time.time(): why_not_start(run_dir, saved, since=since))
            else:
                waited = why_not_start(run_dir, saved, since=time.time())
            if isinstance(waited, str):
                return _final(run_dir, state="stopped", stop_reason=waited)
            slot = waited
        started = time.time()
        slots = max_jobs or queue.max_jobs_from_env()
        sharing = queue.SharingSampler(run_dir.parent, slots) if getattr(slot, "index", None) is not None else None
        update_status(run_dir, state="running", started=started, slot=getattr(slot, "index", None), queue_position=None,
                      queue_wait_s=None, jobs_at_start=sharing.first if sharing else None)
        config = validate_config(saved, task)
        setup_backend(config["seed"], config["precision"])
        versions = _versions()
        update_status(run_dir, versions=versions)  # the job's record; config.json stays as the page wrote it
        ctx = TaskContext(run_dir=run_dir, config=config, echo=echo, parent_pid=parent_pid, started=started)
        metrics = task.train(ctx)
        write_json_atomic(run_dir / files.METRICS, metrics)
        final = "stopped" if ctx.stop_reason else "done"
        during = sharing.stop() if sharing else None  # for lib.jobs.speed
        status = _final(run_dir, state=final, stop_reason=ctx.stop_reason, timing=ctx.timing(),
                        device_memory_peak_mb=ctx.device_peak_mb,
                        jobs_at_end=sharing.last if sharing else None, jobs_during=during)
        try:  # what this run measured prices later runs (lib.jobs.speed); it never fails a finished run
            speed.record(run_dir.parent, {**config, "versions": versions}, status, task)
        except Exception:  # noqa: BLE001
            pass
        return status
    except Stopped as exc:  # before training began: nothing learned, nothing to evaluate
        return _final(run_dir, state="stopped", stop_reason=str(exc))
    except BaseException as exc:  # noqa: BLE001 - every failure must end as a failed run, never "running"
        _log(run_dir, traceback.format_exc())
        status = _final(run_dir, state="failed", error=explain(exc, run_dir))
        if isinstance(exc, KeyboardInterrupt):
            raise
        return status
    finally:
        if slot is not None:
            slot.release()

