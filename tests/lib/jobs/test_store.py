import json

import numpy as np
import pytest

from lib.jobs.folder import files
from lib.jobs.folder.protocol import LOST_WORKER, refresh_status, request_stop, update_status
from lib.jobs.folder.store import SHARED_OWNER, RunStore


def _finished(store, owner="alice", task="lung2d", epochs=2):
    run_dir = store.create({"task": task, "epochs": epochs}, owner=owner)
    files.write_history_atomic(run_dir / files.HISTORY, [{"epoch": e + 1, "loss": 1.0 / (e + 1)} for e in range(epochs)])
    files.write_json_atomic(run_dir / files.METRICS, {"mean_iou": 0.9})
    files.write_npz_atomic(run_dir / files.PREDICTIONS, probs=np.zeros((2, 3), np.uint8))
    update_status(run_dir, state="done")
    return run_dir


def test_create_list_load_compare_delete(tmp_path):
    store = RunStore(tmp_path)
    first = _finished(store, epochs=2)
    second = _finished(store, epochs=3)
    runs, problems = store.list()
    assert problems == [] and {r.run_id for r in runs} == {first.name, second.name}
    run = store.load(first.name)
    assert run.summary.state == "done" and run.metrics == {"mean_iou": 0.9}
    assert list(run.history["epoch"]) == [1, 2]
    assert run.predictions()["probs"].shape == (2, 3)
    table = store.compare([first.name, second.name])
    assert len(table) == 5 and set(table["run_id"]) == {first.name, second.name}
    store.delete(first.name, owner="alice")
    assert [r.run_id for r in store.list()[0]] == [second.name]
    assert not list(tmp_path.glob(".*"))  # no temporary or trash folders left behind


def test_corrupt_run_folders_are_reported_and_skipped(tmp_path):
    store = RunStore(tmp_path)
    good = _finished(store)
    (tmp_path / "half-written").mkdir()
    broken = _finished(store)
    (broken / files.STATUS).write_text("{not json")
    odd = _finished(store)
    (odd / files.CONFIG).write_text(json.dumps([1, 2]))
    runs, problems = store.list()
    assert [r.run_id for r in runs] == [good.name]
    reasons = {p.name: p.reason for p in problems}
    assert "config.json is missing" in reasons["half-written"]
    assert "status.json is damaged" in reasons[broken.name]
    assert "not hold a JSON object" in reasons[odd.name]
    with pytest.raises(ValueError, match="damaged"):
        store.load(broken.name)


def test_other_users_runs_are_invisible_and_untouchable(tmp_path):
    store = RunStore(tmp_path)
    mine, theirs, lecture = _finished(store, "alice"), _finished(store, "bob"), _finished(store, SHARED_OWNER)
    visible = {r.run_id for r in store.list(viewer="alice")[0]}
    assert visible == {mine.name, lecture.name}
    with pytest.raises(ValueError, match="no run"):
        store.load(theirs.name, viewer="alice")
    with pytest.raises(ValueError):
        store.delete(theirs.name, owner="alice")
    with pytest.raises(PermissionError):
        store.delete(lecture.name, owner="alice")
    assert theirs.is_dir() and lecture.is_dir()


def test_active_runs_cannot_be_deleted_and_dead_workers_are_detected(tmp_path, processes):
    import subprocess
    import sys

    store = RunStore(tmp_path)
    run_dir = store.create({"task": "dr"}, owner="alice")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    from lib.jobs.folder.protocol import process_identity

    update_status(run_dir, state="running", pid=child.pid, pid_started=process_identity(child.pid), host=files.host())
    assert refresh_status(run_dir)["state"] == "running"
    with pytest.raises(ValueError, match="stop it before deleting"):
        store.delete(run_dir.name)
    child.kill()
    child.wait()
    status = refresh_status(run_dir)
    assert status["state"] == "failed" and status["error"] == LOST_WORKER
    request_stop(run_dir)
    assert (run_dir / files.STOP).exists()


def test_bad_run_ids_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not a run id"):
        RunStore(tmp_path).path("../etc")
