import os
import time

from lib.jobs.folder import files
from lib.training.context import TaskContext, abandoned


def test_abandoned_only_for_watched_runs_after_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("DLMI_ABANDON_AFTER_S", "60")
    now = time.time()
    assert abandoned(tmp_path, {"watch": False}, since=now - 3600) is None  # command-line runs never give up
    assert abandoned(tmp_path, {"watch": True}, since=now) is None  # just started, nobody looked yet: fine
    assert "60 minutes" in abandoned(tmp_path, {"watch": True}, since=now - 3600)
    seen = tmp_path / files.HEARTBEAT
    seen.touch()
    assert abandoned(tmp_path, {"watch": True}, since=now - 3600) is None  # a page looked just now
    os.utime(seen, (now - 120, now - 120))
    assert "2 minutes" in abandoned(tmp_path, {"watch": True}, since=now)


def test_should_stop_reasons(tmp_path, monkeypatch):
    ctx = TaskContext(run_dir=tmp_path, config={"watch": True}, parent_pid=os.getppid())
    assert ctx.should_stop() is None
    (tmp_path / files.STOP).touch()
    assert ctx.should_stop() == "stopped on request"
    (tmp_path / files.STOP).unlink()
    orphan = TaskContext(run_dir=tmp_path, config={}, parent_pid=-1)
    assert orphan.should_stop() == "the app that started this job has exited"
