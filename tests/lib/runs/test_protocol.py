import os
import time
from types import SimpleNamespace

from lib.runs import files
from lib.runs.protocol import (
    followed_run, last_heartbeat, partition_runs, request_stop, stop_requested, touch_heartbeat, update_status,
    worker_gone,
)


def _run(run_id, state, owner="alice", metrics=None):
    return SimpleNamespace(run_id=run_id, state=state, owner=owner, metrics=metrics or {})


def test_the_panel_follows_the_training_run_then_the_oldest_queued_one():
    newest_first = [_run("q2", "queued"), _run("q1", "queued"), _run("r", "running"), _run("b", "running", "bob")]
    assert followed_run(newest_first, "alice").run_id == "r"
    assert followed_run(newest_first[:2], "alice").run_id == "q1"  # an experiment queues many: the first to start
    assert followed_run(newest_first, "carol") is None
    assert followed_run([_run("d", "done")], "alice") is None


def test_runs_with_and_without_results():
    runs = [_run("ok", "done", metrics={"auc": 0.8}), _run("early", "stopped"), _run("cut", "stopped", metrics={"auc": 0.6}),
            _run("bad", "failed"), _run("live", "running")]
    with_results, without = partition_runs(runs)
    assert [r.run_id for r in with_results] == ["ok", "cut"]
    assert [r.run_id for r in without] == ["early", "bad"]


def test_stop_and_heartbeat_files(tmp_path):
    assert not stop_requested(tmp_path) and last_heartbeat(tmp_path) is None
    request_stop(tmp_path)
    assert stop_requested(tmp_path) and (tmp_path / files.STOP).is_file()
    before = time.time()
    touch_heartbeat([tmp_path, tmp_path / "deleted-meanwhile"])  # a vanished run is skipped, not an error
    assert last_heartbeat(tmp_path) >= before - 1


def test_a_worker_is_gone_only_when_its_process_is(tmp_path):
    me = {"state": "running", "host": files.host(), "pid": os.getpid()}
    assert not worker_gone(me)
    assert worker_gone({**me, "pid": 2**22 + 12345})  # no such process
    assert worker_gone({**me, "pid": "not a number"})
    assert not worker_gone({**me, "host": "another-machine"})  # not ours to judge
    assert not worker_gone({**me, "state": "done", "pid": 2**22 + 12345})
    status = update_status(tmp_path, state="queued")
    assert status["state"] == "queued" and files.read_json(tmp_path / files.STATUS)["state"] == "queued"
