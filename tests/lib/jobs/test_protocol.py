import os
import time
from types import SimpleNamespace

from lib.jobs.folder import files
from lib.jobs.folder.protocol import (
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


def test_a_hand_edited_pid_of_0_or_1_is_no_live_worker(tmp_path):
    """pid 1 is the init process, always alive: a status naming it (or 0) would stay "running" for ever."""
    from lib.jobs.folder.protocol import refresh_status

    for pid in (0, 1, -5):
        update_status(tmp_path, state="running", host=files.host(), pid=pid, submitted=time.time())
        assert refresh_status(tmp_path)["state"] == "failed", pid
    update_status(tmp_path, state="running", host=files.host(), pid=os.getpid(), submitted=time.time(),
                  pid_started=None, error=None)
    assert not worker_gone({"state": "running", "host": files.host(), "pid": os.getpid()})  # this process lives


def test_a_worker_lost_on_a_full_disk_is_said_to_be_the_disk(tmp_path, monkeypatch):
    """At a few KB free the worker dies unable to write even its error: the reader says the disk, not 'killed from
    outside or out of memory'."""
    import shutil as shutil_module

    from lib.jobs.folder import protocol

    update_status(tmp_path, state="running", host=files.host(), pid=0, submitted=time.time())
    monkeypatch.setattr(shutil_module, "disk_usage", lambda path: SimpleNamespace(total=10**9, used=10**9, free=12 * 1024))
    status = protocol.refresh_status(tmp_path)
    assert status["state"] == "failed" and "disk of the runs folder is full (12 KB free)" in status["error"]
    monkeypatch.setattr(shutil_module, "disk_usage", lambda path: SimpleNamespace(total=10**9, used=0, free=10**9))
    update_status(tmp_path, state="running", pid=0, error=None)
    assert protocol.refresh_status(tmp_path)["error"] == protocol.LOST_WORKER
