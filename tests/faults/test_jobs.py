"""What was learned survives: SIGTERM, SIGKILL, a full disk, a diverging loss, a stop while preprocessing."""

import errno
import json
import os
import signal
import time

import keras
import numpy as np
import pytest

from lib.atomic import TMP_PREFIX
from lib.jobs.folder import files
from lib.jobs.folder.protocol import LOST_WORKER, read_status, request_stop
from lib.jobs.folder.store import RunStore
from lib.jobs.executor import start_run
from lib.jobs.executor import LocalProcessExecutor
from lib.jobs.job import run_job
from tests.helpers.waiting import wait_for
from tests.lib.training.conftest import tiny_config




def _epochs_done(run_dir) -> int:
    return len(files.read_history(run_dir / files.HISTORY))


def _no_temporaries(folder):
    return [p.name for p in folder.rglob("*") if p.name.startswith(TMP_PREFIX) or p.name.endswith(".tmp")]


@pytest.fixture
def long_run(demo_root, runs_dir):
    store = RunStore(runs_dir)
    run_dir = start_run(store, tiny_config("lung2d", demo_root, epochs=1000, batch_size=1), owner="alice",
                        executor=LocalProcessExecutor())
    wait_for(lambda: _epochs_done(run_dir) >= 2 and (run_dir / files.CHECKPOINT).is_file(), timeout=180)
    return store, run_dir


def test_sigterm_to_a_worker_stops_it_like_the_stop_button(long_run):
    store, run_dir = long_run
    os.kill(read_status(run_dir)["pid"], signal.SIGTERM)
    wait_for(lambda: read_status(run_dir)["state"] in ("stopped", "failed"), timeout=120)
    run = store.load(run_dir.name)
    assert run.summary.state == "stopped" and run.status["stop_reason"] == "stopped on request"
    assert "mean_slice_iou" in run.metrics and run.predictions()["probs"].shape[0] > 0
    assert keras.models.load_model(run.model_path()) is not None
    assert _no_temporaries(run_dir) == []


def test_sigkill_leaves_the_best_checkpoint_of_a_finished_epoch(long_run):
    store, run_dir = long_run
    os.kill(read_status(run_dir)["pid"], signal.SIGKILL)
    wait_for(lambda: {r.run_id: r.state for r in store.list()[0]}.get(run_dir.name) == "failed")
    run = store.load(run_dir.name)
    assert run.summary.error == LOST_WORKER
    assert run.status["checkpoint_epoch"] >= 1 and run.status["checkpoint_epoch"] <= len(run.history)
    model = keras.models.load_model(run_dir / files.CHECKPOINT)
    assert model.predict(np.zeros((1, 32, 32, 1), np.float32), verbose=0).shape == (1, 32, 32, 1)


def _disk_full_on_model_save(monkeypatch):
    def save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a model")
        raise OSError(errno.ENOSPC, "No space left on device", str(filepath))

    monkeypatch.setattr(keras.Model, "save", save)


def test_a_full_disk_fails_the_run_cleanly(demo_root, runs_dir, monkeypatch):
    _disk_full_on_model_save(monkeypatch)
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config("lung2d", demo_root), owner="alice")
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "failed"
    assert status["error"].startswith("no space left on ") and "free some disk space" in status["error"]
    assert _no_temporaries(run_dir) == [] and not (run_dir / files.MODEL).exists()
    assert store.list()[0][0].state == "failed"


def test_the_cli_prints_its_json_line_when_the_disk_is_full(demo_root, runs_dir, monkeypatch, capsys):
    from lib.cli import main

    _disk_full_on_model_save(monkeypatch)
    code = main(["train", "lung2d", "--data", str(demo_root / "lungs"), "--epochs", "1", "--runs-dir", str(runs_dir),
                 "--set", "image_size=32", "--set", "filters=4"])
    out = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(out[-1])
    assert code == 1 and summary["state"] == "failed" and "no space left" in summary["error"]


def test_a_full_disk_while_creating_a_run_leaves_no_staging_folder(tmp_path, monkeypatch):
    import lib.jobs.folder.store as store_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module, "write_json_atomic", full)
    with pytest.raises(OSError):
        RunStore(tmp_path).create({"task": "dr"}, owner="alice")
    assert list(tmp_path.iterdir()) == []


def test_a_nan_loss_stops_the_run_as_diverged(demo_root, runs_dir, monkeypatch):
    import lib.tasks.lung2d as lung2d

    real = lung2d.make_dataset

    def poisoned(images, masks, batch, **kwargs):  # NaN targets: the loss is NaN from the first batch
        return real(images, np.full(masks.shape, np.nan, np.float32), batch, **kwargs)

    monkeypatch.setattr(lung2d, "make_dataset", poisoned)
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config("lung2d", demo_root, epochs=3), owner="alice")
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "failed"
    assert "became nan at epoch 1, batch 1" in status["error"] and "diverged" in status["error"]
    assert not (run_dir / files.PREDICTIONS).exists()  # NaN scores are never saved as zeros


def test_nan_predictions_are_never_saved_as_zeros(tmp_path):
    from lib.training.context import Diverged, TaskContext

    ctx = TaskContext(run_dir=tmp_path, config={})
    assert ctx.finite(np.array([0.1, 0.9]), "test scores").tolist() == [0.1, 0.9]
    with pytest.raises(Diverged, match="1 of the 3 test scores are NaN"):
        ctx.finite(np.array([0.1, np.nan, 0.2]), "test scores")


def test_stop_is_honoured_while_photos_are_preprocessed(demo_root, runs_dir):
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config("dr", demo_root, n_per_class=30, image_size=64), owner="alice")
    import lib.preprocess.fundus as fundus

    seen = []
    real_key = fundus.cache_key

    def slow_key(path, **kwargs):  # each photo takes a moment, so the stop lands mid-way
        seen.append(path)
        if len(seen) == 10:
            request_stop(run_dir)
        time.sleep(0.02)
        return real_key(path, **kwargs)

    fundus.cache_key = slow_key
    try:
        status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    finally:
        fundus.cache_key = real_key
    assert status["state"] == "stopped" and status["stop_reason"] == "stopped on request"
    assert len(seen) < 60 and not (run_dir / files.MODEL).exists()
    run = store.load(run_dir.name)
    assert run.summary.state == "stopped" and run.metrics == {}
