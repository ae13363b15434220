"""The job end to end on tiny configurations: in-process jobs, worker processes, stop, kill, failures."""

import inspect
import os
import signal
import threading
import time

import keras
import pytest

from lib.jobs.folder import files
from lib.jobs.folder.protocol import LOST_WORKER, read_status, request_stop
from lib.jobs.folder.store import RunStore
from lib.jobs import queue
from lib.jobs.executor import LocalProcessExecutor, start_run
from lib.jobs.speed import read_measured
from lib.jobs.job import run_job
from tests.helpers.waiting import wait_for
from tests.lib.training.conftest import tiny_config




@pytest.mark.parametrize("task, metric", [("dr", "auc"), ("lung2d", "mean_slice_iou"), ("lung3d", "pooled_iou")])
def test_one_epoch_of_each_task_saves_a_complete_run(task, metric, demo_root, runs_dir):
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config(task, demo_root), owner="alice")
    lines = []
    status = run_job(run_dir, echo=lines.append, poll_s=0.05)
    assert status["state"] == "done", status.get("error")
    run = store.load(run_dir.name)
    assert metric in run.metrics and 0.0 <= run.metrics[metric] <= 1.0
    assert list(run.history["epoch"]) == [1] and "val_loss" in run.history
    assert lines and lines[0].startswith("epoch 1/1")
    versions = run.status["versions"]
    assert versions["backend"] == keras.backend.backend() and versions[versions["backend"]]
    model = keras.models.load_model(run.model_path())
    assert model.name.startswith("dr_" if task == "dr" else "unet")
    predictions = run.predictions()
    if task == "dr":
        assert predictions["scores"].shape == predictions["labels"].shape
    else:
        assert predictions["probs"].shape == predictions["masks" if task == "lung2d" else "mask"].shape
    # the speed it measured is kept for pricing later runs, and adds up to the run's own clock
    measured = read_measured(runs_dir)
    assert [m["task"] for m in measured] == [task]
    m, timing = measured[0], run.status["timing"]["training, of which"]
    assert m["step_s"] == pytest.approx(timing["training steps"] / (timing["steps"] - 1), rel=1e-3)
    assert m["fixed_s"] + timing["steps"] * m["step_s"] + m["per_epoch_s"] == pytest.approx(
        run.status["ended"] - run.status["started"], abs=0.05)


def test_stop_mid_epoch_keeps_a_valid_loadable_run(demo_root, runs_dir):
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config("lung2d", demo_root, epochs=50, batch_size=1), owner="alice")
    result = {}
    worker = threading.Thread(target=lambda: result.update(run_job(run_dir, echo=lambda _: None, poll_s=0.05)))
    worker.start()
    progress = run_dir / files.PROGRESS
    wait_for(lambda: progress.is_file() and files.read_json(progress).get("step", 0) >= 2)
    request_stop(run_dir)
    asked = time.time()
    worker.join(120)
    assert result["state"] == "stopped" and result["stop_reason"] == "stopped on request"
    run = store.load(run_dir.name)
    assert len(run.history) < 50 and bool(run.history["partial"].iloc[-1])
    assert keras.models.load_model(run.model_path()) is not None
    assert "mean_slice_iou" in run.metrics


def test_a_job_that_raises_fails_with_its_reason(demo_root, runs_dir, monkeypatch):
    import dataclasses

    import lib.tasks

    def out_of_memory(ctx):
        raise MemoryError("simulated: could not allocate 12 GiB")

    monkeypatch.setitem(lib.tasks._TASKS, "lung2d", dataclasses.replace(lib.tasks.get("lung2d"), train=out_of_memory))
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config("lung2d", demo_root), owner="alice")
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "failed"
    assert "out of memory" in status["error"] and "smaller batch" in status["error"]
    assert "MemoryError" in (run_dir / files.LOG).read_text()
    assert queue.try_acquire(runs_dir, 1) is not None  # the slot was given back


def test_bad_data_fails_with_a_clear_message(tmp_path, runs_dir):
    store = RunStore(runs_dir)
    config = tiny_config("lung2d", tmp_path, data=str(tmp_path / "missing"))
    status = run_job(store.create(config, owner="alice"), echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "failed" and "does not exist" in status["error"]


def test_worker_processes_queue_run_apart_and_survive_sigkill(demo_root, runs_dir, monkeypatch):
    monkeypatch.setenv("DLMI_MAX_JOBS", "1")
    store = RunStore(runs_dir)
    executor = LocalProcessExecutor()
    doomed = start_run(store, tiny_config("lung2d", demo_root, epochs=1000, batch_size=1), owner="alice", executor=executor)
    first = start_run(store, tiny_config("lung2d", demo_root, epochs=2), owner="alice", executor=executor)
    second = start_run(store, tiny_config("lung2d", demo_root, epochs=1, seed=3), owner="bob", executor=executor)

    wait_for(lambda: read_status(doomed).get("state") == "running")
    # one slot: the others wait, users in turn: alice is training already, so bob's run goes before her second
    wait_for(lambda: read_status(second).get("queue_position") == 0)
    wait_for(lambda: read_status(first).get("queue_position") == 1)
    progress = doomed / files.PROGRESS
    wait_for(lambda: progress.is_file() and files.read_json(progress).get("step", 0) >= 1)
    os.kill(read_status(doomed)["pid"], signal.SIGKILL)

    wait_for(lambda: {r.run_id: r.state for r in store.list()[0]}.get(doomed.name) == "failed")
    assert store.load(doomed.name).summary.error == LOST_WORKER
    # once alice's first run is gone, neither of them is training: the earlier submission (alice's) goes first
    wait_for(lambda: all(read_status(r).get("state") in ("done", "failed") for r in (first, second)), timeout=240)
    a, b = store.load(first.name), store.load(second.name)
    assert (a.summary.state, b.summary.state) == ("done", "done"), (a.status, b.status)
    assert list(a.history["epoch"]) == [1, 2] and list(b.history["epoch"]) == [1]


def test_watched_runs_give_up_when_no_browser_looks(demo_root, runs_dir, monkeypatch):
    monkeypatch.setenv("DLMI_ABANDON_AFTER_S", "0.5")
    store = RunStore(runs_dir)
    queued = store.create({**tiny_config("lung2d", demo_root), "watch": True}, owner="alice")
    blocker = queue.try_acquire(runs_dir, 1)  # the only slot is busy: the run waits in the queue
    try:
        status = run_job(queued, echo=lambda _: None, poll_s=0.05, max_jobs=1)
    finally:
        blocker.release()
    assert status["state"] == "stopped" and "no browser has watched" in status["stop_reason"]
    headless = store.create(tiny_config("lung2d", demo_root), owner="shared")  # CLI runs are not watched
    assert run_job(headless, echo=lambda _: None, poll_s=0.05)["state"] == "done"


def test_the_worker_registers_once_reads_its_config_once_and_never_rewrites_it(demo_root, runs_dir, monkeypatch):
    """The worker's path in this process (lib.jobs.worker.main without its signal handler and umask): one
    registration, one read of config.json by the worker and the job (the queue's fair order reads each waiting run's
    owner: not counted), one validation, and config.json left as the page wrote it (the versions go to the status)."""
    from pathlib import Path

    from lib.jobs import job, worker

    run_dir = RunStore(runs_dir).create(tiny_config("lung2d", demo_root), owner="alice")
    written = (run_dir / files.CONFIG).stat()
    reads, registered, validated = [], [], []
    real_read_text, real_register, real_validate = Path.read_text, worker.register_worker, job.validate_config

    def read_text(path, *args, **kwargs):
        if path == run_dir / files.CONFIG and not any(f.filename.endswith("jobs/queue.py") for f in inspect.stack()):
            reads.append(path)
        return real_read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    for module in (worker, job):
        monkeypatch.setattr(module, "register_worker", lambda d: registered.append(d) or real_register(d))
    monkeypatch.setattr(job, "validate_config", lambda c, t: validated.append(c) or real_validate(c, t))

    slot, saved = worker.wait_for_slot(run_dir, poll_s=0.05)
    status = job.run_job(run_dir, slot=slot, saved=saved, echo=lambda _: None)
    assert status["state"] == "done", status.get("error")
    assert (len(registered), len(reads), len(validated)) == (1, 1, 1)
    now = (run_dir / files.CONFIG).stat()
    assert (now.st_ino, now.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert read_status(run_dir)["versions"]["backend"] == keras.backend.backend()
