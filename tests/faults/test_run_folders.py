"""A broken run folder never takes a page or a job down (issue: faults never take the class down)."""

import json

import pandas as pd
import pytest

from lib.figures.training import history_figure
from lib.jobs.folder import files
from lib.jobs.folder.protocol import update_status
from lib.jobs.folder.store import RunStore
from lib.jobs import queue
from lib.jobs.job import run_job
from tests.lib.training.conftest import tiny_config


def _good(store, owner="alice"):
    run_dir = store.create({"task": "lung2d"}, owner=owner)
    files.write_json_atomic(run_dir / files.METRICS, {"mean_iou": 0.9})
    update_status(run_dir, state="done")
    return run_dir


@pytest.mark.parametrize("field, value, readable", [
    ("created", None, True), ("pid_started", None, True), ("submitted", None, True),  # null: as if absent
    ("pid", [1, 2], False), ("state", 3, False), ("notes", "x", False), ("created", "yesterday", False),
])
def test_wrong_typed_status_fields_never_raise(tmp_path, field, value, readable):
    store = RunStore(tmp_path)
    good = _good(store)
    odd = _good(store, owner="bob")
    status = json.loads((odd / files.STATUS).read_text())
    status.update({field: value, "state": status["state"] if field != "state" else value, "host": files.host()})
    (odd / files.STATUS).write_text(json.dumps(status))

    runs, unreadable = store.list()
    if readable:
        assert {r.run_id for r in runs} == {good.name, odd.name} and unreadable == []
    else:
        assert [r.run_id for r in runs] == [good.name]
        [broken] = unreadable
        assert broken.name == odd.name and broken.owner == "bob"
        assert "status.json" in broken.reason and (field in broken.reason or "state" in broken.reason)
    assert queue.position(store.root, good) is None  # the queue code reads every folder and never trusts them


def test_wrong_typed_config_is_unreadable_shown_to_its_owner_only_and_deletable(tmp_path):
    store = RunStore(tmp_path)
    mine = _good(store, owner="alice")
    (mine / files.CONFIG).write_text(json.dumps({"task": ["lung2d"], "owner": "alice"}))
    nobody = _good(store, owner="bob")
    (nobody / files.CONFIG).write_text("{half")
    assert [u.name for u in store.list(viewer="alice")[1]] == [mine.name]
    assert store.list(viewer="carol")[1] == []
    with pytest.raises(ValueError, match="no run"):
        store.delete(mine.name, owner="carol")
    store.delete(mine.name, owner="alice")
    assert not mine.exists()
    with pytest.raises(ValueError, match="no run"):
        store.delete(nobody.name, owner="alice")  # nobody can prove they own it: only the command line may
    store.delete(nobody.name)
    assert store.list() == ([], [])
    assert not list(tmp_path.glob(".*"))


def test_a_new_job_is_not_crashed_by_another_runs_broken_status(demo_root, runs_dir):
    store = RunStore(runs_dir)
    broken = store.create({"task": "lung2d"}, owner="bob")
    (broken / files.STATUS).write_text(json.dumps({"state": "queued", "submitted": None, "pid": "12"}))
    run_dir = store.create(tiny_config("lung2d", demo_root), owner="alice")
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "done", status.get("error")


def test_a_failure_before_the_slot_is_a_failed_run_not_a_stuck_queued_one(demo_root, runs_dir, monkeypatch):
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config("lung2d", demo_root), owner="alice")

    def broken_queue(root, run_dir, **kwargs):
        raise OSError(5, "Input/output error", str(run_dir))

    monkeypatch.setattr(queue, "position", broken_queue)
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "failed" and "Input/output error" in status["error"]
    assert queue.try_acquire(runs_dir, 1) is not None


def test_history_without_an_epoch_column_still_draws(tmp_path):
    (tmp_path / files.HISTORY).write_text("loss,val_loss\n0.7,0.8\n0.5,0.6\n")
    history = files.read_history(tmp_path / files.HISTORY)
    assert list(history["epoch"]) == [1, 2]
    figure = history_figure(pd.DataFrame({"loss": [0.7, 0.5]}), metrics=("loss",))
    assert list(figure.data[0].x) == [1, 2]


def test_unreadable_predictions_are_a_clear_error(tmp_path):
    store = RunStore(tmp_path)
    run_dir = _good(store)
    (run_dir / files.PREDICTIONS).write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="predictions.npz cannot be read"):
        store.load(run_dir.name).predictions()


def test_leftover_staging_is_never_listed(tmp_path):
    store = RunStore(tmp_path)
    (tmp_path / ".new-20260101-000000-dr-abcdef").mkdir()
    (tmp_path / ".deleting-x").mkdir()
    assert store.list() == ([], [])


@pytest.mark.parametrize("key", ["data", "task", "preset"])
def test_the_cli_refuses_to_set_what_has_its_own_option(key, capsys, tmp_path):
    from lib.cli import main

    code = main(["train", "dr", "--data", str(tmp_path), "--runs-dir", str(tmp_path / "runs"), "--set", f"{key}=x"])
    assert code == 2 and f"{key} cannot be changed with --set" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
