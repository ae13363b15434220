"""Run one training job from its run folder: wait for a slot, set up TensorFlow, train, save, report.

Whatever happens, the run ends in a final state: "done", "stopped" (a stop request, an abandoned
browser, the app exiting: what was learned so far is saved and evaluated) or "failed" (with the
reason; the traceback goes to log.txt).
"""

from __future__ import annotations

import os
import platform
import time
import traceback
from pathlib import Path
from typing import Callable

from lib.runs import files
from lib.runs.files import read_json, write_json_atomic
from lib.runs.protocol import process_identity, read_status, stop_requested, update_status
from lib.runs.store import RunStore
from lib.training import slots
from lib.training.config import validate_config
from lib.training.context import TaskContext, abandoned


def _versions() -> dict:
    import keras
    import numpy
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": numpy.__version__, "gpus": [d.name for d in tf.config.list_physical_devices("GPU")]}


def setup_tensorflow(seed: int) -> None:
    """Share the GPU politely (grow memory as needed instead of taking it all) and seed everything."""
    import keras
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # already initialised in this process
    keras.utils.set_random_seed(seed)


def _explain(exc: BaseException) -> str:
    name = type(exc).__name__
    if isinstance(exc, MemoryError) or name == "ResourceExhaustedError" or "out of memory" in str(exc).lower():
        return f"out of memory ({name}): try a smaller batch size, image size or model, or wait for other jobs to finish"
    return f"{name}: {exc}"


def wait_for_slot(run_dir: Path, store: RunStore, *, max_jobs: int, poll_s: float, config: dict):
    """Block until this run may start (first in the queue and a slot free).

    Returns the slot, or a sentence saying why the run gave up waiting (a stop request, or nobody watching).
    """
    last_position = -1
    since = time.time()
    while True:
        if stop_requested(run_dir):
            return "stopped before it started"
        reason = abandoned(run_dir, config, since=since)
        if reason:
            return reason
        position = store.queue_position(run_dir)
        if position in (0, None):
            slot = slots.try_acquire(store.root, max_jobs)
            if slot is not None:
                return slot
        if position != last_position:
            update_status(run_dir, queue_position=position)
            last_position = position
        time.sleep(poll_s)


def run_job(run_dir: str | Path, *, echo: Callable[[str], None] = print, max_jobs: int | None = None,
            poll_s: float = 0.5, parent_pid: int | None = None) -> dict:
    """Run the job in ``run_dir`` in this process and return its final status."""
    run_dir = Path(run_dir)
    store = RunStore(run_dir.parent)
    update_status(run_dir, state="queued", pid=os.getpid(), pid_started=process_identity(os.getpid()), host=files.host())
    saved = read_json(run_dir / files.CONFIG)
    slot = wait_for_slot(run_dir, store, max_jobs=max_jobs or slots.max_jobs_from_env(), poll_s=poll_s, config=saved)
    if isinstance(slot, str):
        return update_status(run_dir, state="stopped", stop_reason=slot, ended=time.time())
    update_status(run_dir, state="running", started=time.time(), slot=slot.index, queue_position=None)
    try:
        config = validate_config(saved)
        setup_tensorflow(config["seed"])
        write_json_atomic(run_dir / files.CONFIG, {**saved, "versions": _versions()})
        from lib import tasks

        ctx = TaskContext(run_dir=run_dir, config=config, echo=echo, parent_pid=parent_pid)
        metrics = tasks.get(config["task"]).train(ctx)
        write_json_atomic(run_dir / files.METRICS, metrics)
        final = "stopped" if ctx.stop_reason else "done"
        status = update_status(run_dir, state=final, stop_reason=ctx.stop_reason, ended=time.time())
    except BaseException as exc:  # noqa: BLE001 - every failure must end as a failed run, never "running"
        with open(run_dir / files.LOG, "a") as log:
            log.write(traceback.format_exc())
        status = update_status(run_dir, state="failed", error=_explain(exc), ended=time.time())
        if isinstance(exc, KeyboardInterrupt):
            raise
    finally:
        slot.release()
    return status


def final_status(run_dir: Path) -> dict:
    return read_status(run_dir)
