"""A class server you can trust: each finding of the adversarial probe as a test.

No run stuck whatever the moment its worker dies; a full disk at any write; limits that hold when several processes
press Start at the same moment; a folder that can only be read as "unreadable" (deep JSON, an unknown task, a
wrong-typed progress file); settings that name data checked before a run exists; everything written private.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lib import tasks
from lib.jobs.executor import start_run
from lib.jobs.folder import files
from lib.jobs.folder.protocol import ACTIVE_STATES, FINAL_STATES, NEVER_STARTED, read_status, stop_now
from lib.jobs.folder.store import RunStore
from lib.jobs import queue
from lib.jobs.executor import LocalProcessExecutor
from tests.helpers.waiting import wait_for
from tests.lib.training.conftest import tiny_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def short_grace(monkeypatch):
    """Give up on a worker that never registers after 2 s, not 90 (the rule is the same)."""
    monkeypatch.setenv("DLMI_START_GRACE_S", "2")


def test_a_worker_killed_before_it_registers_ends_failed_and_stop_and_delete_work(demo_root, runs_dir, short_grace,
                                                                                tmp_path):
    store = RunStore(runs_dir)
    slow_start = tmp_path / "python-slow-to-start"  # a worker process that has not reached Python yet
    slow_start.write_text(f"#!/bin/sh\nsleep 60\nexec {sys.executable} \"$@\"\n")
    slow_start.chmod(0o700)
    executor = LocalProcessExecutor(python=str(slow_start))
    run_dir = start_run(store, tiny_config("lung2d", demo_root), owner="alice", executor=executor)
    time.sleep(0.2)
    executor._children[-1].kill()  # before the worker wrote its pid
    executor._children[-1].wait()
    assert read_status(run_dir).get("pid") is None
    wait_for(lambda: store.load(run_dir.name).summary.state in FINAL_STATES, timeout=30)
    run = store.load(run_dir.name)
    assert run.summary.state == "failed" and run.summary.error == NEVER_STARTED
    store.delete(run_dir.name, owner="alice")  # a failed run can go; it never counts toward a limit
    # the same, stopped by its owner before the grace ran out: Stop ends it at once, Delete works
    second = start_run(store, tiny_config("lung2d", demo_root, seed=3), owner="alice", executor=executor)
    time.sleep(0.2)
    executor._children[-1].kill()
    stopped = stop_now(second)
    assert stopped is not None and stopped["state"] == "stopped"
    store.delete(second.name, owner="alice")


def _worker_on_a_full_disk(run_dir: Path, from_write: int) -> subprocess.CompletedProcess:
    """The real worker, in its own process, whose every atomic write from the ``from_write``-th on fails with
    ENOSPC (as on a disk with a few KB free)."""
    script = f"""
import errno, sys
import lib.atomic as atomic
count = [0]
real = atomic.write_bytes_atomic
def full(path, data, *, durable=True):
    count[0] += 1
    if count[0] >= {from_write}:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    return real(path, data, durable=durable)
atomic.write_bytes_atomic = full
import lib.jobs.folder.files, lib.jobs.folder.protocol
lib.jobs.folder.files.write_json_atomic = lambda path, obj, durable=True: full(path, atomic.json.dumps(obj).encode())
lib.jobs.folder.protocol.write_json_atomic = lib.jobs.folder.files.write_json_atomic
from lib.jobs.worker import main
sys.exit(main([{str(run_dir)!r}]))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("from_write", [1, 3, 8])
def test_a_full_disk_at_any_write_still_ends_the_run(demo_root, runs_dir, short_grace, from_write):
    """The first write (the worker's registration), one early in the job, one during training: whichever write the
    disk refuses, every reader sees a final state soon after the worker is gone."""
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config("lung2d", demo_root), owner="alice")
    _worker_on_a_full_disk(run_dir, from_write)
    time.sleep(2.5)  # past the grace for a worker that never registered
    state = store.load(run_dir.name).summary.state
    assert state in FINAL_STATES, f"write {from_write}: the run is still {state}"
    assert queue.position(runs_dir, run_dir) is None  # it waits for nothing and blocks nobody


def _start_at(moment: float, runs: Path, demo_root: Path, owner: str) -> str:
    return f"""
import json, time
from pathlib import Path
from lib.jobs.executor import start_run
from lib.access.identity import Identity
from lib.access.policy import ClassSettings, LimitError, check_limits
from lib.jobs.folder.store import RunStore
from tests.lib.training.conftest import tiny_config

class Nowhere:
    def submit(self, run_dir):
        pass

store = RunStore({str(runs)!r})
settings = ClassSettings(auth="roster", users={{"bob": "scrypt$x"}}, max_active_runs=2)
who = Identity({owner!r}, "student", "roster")

def admit(configs):
    mine = [r for r in store.list(viewer=who.owner)[0] if r.owner == who.owner and r.state in ("queued", "running")]
    time.sleep(0.05)  # a slow listing: without one admission step, every process would pass
    check_limits(settings, who, configs, active=len(mine))

config = tiny_config("lung2d", Path({str(demo_root)!r}))
while time.time() < {moment}:
    time.sleep(0.001)
try:
    start_run(store, config, owner=who.owner, executor=Nowhere(), admit=admit)
    print("started")
except LimitError:
    print("refused")
"""


def test_six_simultaneous_starts_never_beat_a_limit_of_two(demo_root, runs_dir):
    moment = time.time() + 6.0  # every process is ready (imports done) and waits for the same instant
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _start_at(moment, runs_dir, demo_root, "user:bob")], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outcomes = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-1500:] for _, err in outcomes]
    outcomes = [out.strip() for out, _ in outcomes]
    assert sorted(outcomes) == ["refused"] * 4 + ["started"] * 2, outcomes
    runs, _ = RunStore(runs_dir).list()
    assert len([r for r in runs if r.state in ACTIVE_STATES]) == 2


def test_a_deeply_nested_status_is_unreadable_and_takes_nothing_down(demo_root, runs_dir):
    store = RunStore(runs_dir)
    deep = store.create({"task": "lung2d"}, owner="bob")
    (deep / files.STATUS).write_text("[" * 100_000 + "]" * 100_000)
    runs, unreadable = store.list()
    assert [u.name for u in unreadable] == [deep.name] and "nested too deeply" in unreadable[0].reason
    huge = store.create({"task": "lung2d"}, owner="bob")
    (huge / files.CONFIG).write_text(json.dumps({"task": "lung2d", "owner": "bob", "pad": "x" * 2_000_000}))
    assert any("more than" in u.reason for u in store.list()[1])
    run_dir = store.create(tiny_config("lung2d", demo_root), owner="alice")
    from lib.jobs.job import run_job

    assert run_job(run_dir, echo=lambda _: None, poll_s=0.05)["state"] == "done"  # the queue read past them


def test_an_unknown_task_and_a_wrong_typed_progress_are_unreadable_not_crashes(runs_dir):
    store = RunStore(runs_dir, tasks=tasks.names())
    foreign = store.create({"task": "ct"}, owner="bob")
    files.write_json_atomic(foreign / files.STATUS, {"state": "done"})
    _, unreadable = store.list()
    assert [u.name for u in unreadable] == [foreign.name] and "'ct'" in unreadable[0].reason
    mine = store.create({"task": "lung2d"}, owner="alice")
    files.write_json_atomic(mine / files.PROGRESS, {"epoch": "two", "metrics": [1, 2]})
    assert store.load(mine.name).progress == {}  # nothing to show, nothing raised


def test_a_setting_that_names_data_is_checked_before_a_run_folder_is_made(demo_root, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DLMI_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "lib", "train", "lung3d", "--data", str(demo_root / "lungs"),
                           "--set", "train_volumes=9999", "--runs-dir", str(tmp_path / "runs")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "train_volumes names 9999" in done.stderr and "its volumes are 0002, 0031, 0059, 0078" in done.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_what_the_command_line_writes_is_private(demo_root, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DLMI_CACHE_DIR": str(tmp_path / "cache"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "lib", "train", "dr", "--data", str(demo_root / "eyepacs"), "--epochs",
                           "1", "--set", "image_size=32", "--set", "n_per_class=12", "--set", "steps_per_epoch=1",
                           "--runs-dir", str(tmp_path / "runs")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    written = [p for p in (tmp_path / "cache").rglob("*")] + [p for p in (tmp_path / "runs").rglob("*")]
    assert written and any(p.is_dir() for p in written) and any(p.is_file() for p in written)
    loose = [str(p.relative_to(tmp_path)) for p in written if stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == [], loose


def test_sigterm_to_a_waiting_worker_ends_its_run(demo_root, runs_dir, monkeypatch):
    """A worker that waits in the queue and is told to stop ends its run as stopped, not queued forever."""
    monkeypatch.setenv("DLMI_MAX_JOBS", "1")
    store = RunStore(runs_dir)
    blocker = queue.try_acquire(runs_dir, 1)
    try:
        executor = LocalProcessExecutor()
        run_dir = start_run(store, tiny_config("lung2d", demo_root), owner="alice", executor=executor)
        wait_for(lambda: read_status(run_dir).get("pid") is not None, timeout=60)
        os.kill(read_status(run_dir)["pid"], signal.SIGTERM)
        wait_for(lambda: read_status(run_dir)["state"] in FINAL_STATES, timeout=60)
        assert read_status(run_dir)["state"] == "stopped"
    finally:
        blocker.release()


def test_waiting_runs_hold_a_few_megabytes_not_a_framework(demo_root, runs_dir, monkeypatch):
    """A class pressing Start at once: every run beyond the slots waits in a worker that has imported nothing heavy
    (60 waiting workers used to take 200 MB each: memory 2.3 -> 10.5 GB and a load of 41). Each waiting worker stays
    under 40 MB, and Stop ends it before it ever imports numpy."""
    import psutil

    monkeypatch.setenv("DLMI_MAX_JOBS", "1")
    held = queue.try_acquire(runs_dir, 1)  # the one slot is taken: everybody waits
    assert held is not None
    store = RunStore(runs_dir)
    executor = LocalProcessExecutor()
    try:
        runs = [start_run(store, tiny_config("lung2d", demo_root, seed=i), owner=f"student{i}", executor=executor)
                for i in range(3)]
        wait_for(lambda: all(read_status(r).get("queue_position") is not None for r in runs), timeout=60)
        sizes = [psutil.Process(read_status(r)["pid"]).memory_info().rss / 2**20 for r in runs]
        assert max(sizes) < 40, sizes
        for r in runs:
            stop_now(r)
        wait_for(lambda: all(read_status(r).get("state") == "stopped" for r in runs), timeout=30)
        assert {read_status(r).get("stop_reason") for r in runs} == {"stopped before it started"}
    finally:
        held.release()
        for child in executor._children:
            child.kill()
