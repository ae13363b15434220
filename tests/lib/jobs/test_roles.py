"""What a student and a lecturer may see and do with runs, and the fair queue."""

import os
import stat
import time
from collections import Counter

import pytest

from lib.jobs.folder import files
from lib.jobs.folder.protocol import update_status
from lib.jobs.folder.store import RunStore
from lib.jobs.queue import fair_order, position

CONFIG = {"task": "lung2d", "data": "/nowhere", "epochs": 1}


@pytest.fixture
def store(tmp_path):
    store = RunStore(tmp_path / "runs")
    return store


def _done(store, owner, label):
    run_dir = store.create(CONFIG, owner=owner, label=label)
    files.write_json_atomic(run_dir / files.METRICS, {"mean_iou": 0.9})
    update_status(run_dir, state="done", ended=time.time())
    return run_dir


def _broken(store, owner):
    run_dir = _done(store, owner, "broken")
    (run_dir / files.STATUS).write_text("{half a file")
    return run_dir


def test_a_student_sees_only_their_own_shared_and_published_runs(store):
    mine = _done(store, "user:bob", "bob's")
    theirs = _done(store, "user:carol", "carol's")
    lecture = _done(store, "user:ada", "the lecturer's")
    shared = _done(store, "shared", "prepared before class")
    _broken(store, "user:carol")
    store.publish(lecture.name, by="Ada Lovelace")

    runs, problems = store.list(viewer="user:bob")
    assert {r.run_id for r in runs} == {mine.name, lecture.name, shared.name}
    assert {r.run_id: r.published_by for r in runs} == {mine.name: None, lecture.name: "Ada Lovelace", shared.name: None}
    assert problems == []  # not even another student's broken folder, nor its error
    with pytest.raises(ValueError, match="no run"):
        store.load(theirs.name, viewer="user:bob")
    with pytest.raises(ValueError, match="no run"):  # the same answer as a run that does not exist
        store.delete(theirs.name, owner="user:bob")
    with pytest.raises(PermissionError):  # published: visible, but not theirs to delete
        store.delete(lecture.name, owner="user:bob")
    assert theirs.is_dir() and lecture.is_dir()

    store.publish(lecture.name, False)
    assert lecture.name not in {r.run_id for r in store.list(viewer="user:bob")[0]}
    with pytest.raises(ValueError, match="no run"):
        store.load(lecture.name, viewer="user:bob")


def test_a_lecturer_sees_every_run_and_every_broken_folder(store):
    _done(store, "user:bob", "bob's")
    _done(store, "user:carol", "carol's")
    broken = _broken(store, "user:carol")
    runs, problems = store.list(viewer="user:ada", lecturer=True)
    assert len(runs) == 2 and [p.name for p in problems] == [broken.name]
    assert store.load(runs[0].run_id, viewer="user:ada", lecturer=True).summary.owner.startswith("user:")


def test_run_folders_are_readable_by_the_servers_user_only(store):
    run_dir = _done(store, "user:bob", "bob's")
    assert stat.S_IMODE(run_dir.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(store.root.stat().st_mode) & 0o077 == 0


def test_the_queue_serves_users_in_turn_on_a_scripted_arrival_pattern():
    # ann queues seven runs in one click at t=0..6; then bob, cy and dee one each; ann already has one training
    arrivals = [(t, f"ann{t}", "ann") for t in range(7)] + [(10, "bob0", "bob"), (11, "cy0", "cy"), (12, "dee0", "dee")]
    order = fair_order(arrivals, Counter({"ann": 1}))
    assert order[:3] == ["bob0", "cy0", "dee0"]  # nobody waits behind ann's seven
    assert order[3:] == [f"ann{t}" for t in range(7)]  # ann's own runs keep their order
    # without anyone training: every user's first run, in arrival order, then every second run ...
    order = fair_order(arrivals + [(13, "bob1", "bob")], Counter())
    assert order[:5] == ["ann0", "bob0", "cy0", "dee0", "ann1"] and order.index("bob1") == 5


def test_queue_positions_in_the_store_follow_the_fair_order(store):
    def queued(owner, at):
        run_dir = store.create(CONFIG, owner=owner)
        update_status(run_dir, state="queued", submitted=at, pid=os.getpid())
        return run_dir

    now = time.time()
    training = store.create(CONFIG, owner="user:ann")
    update_status(training, state="running", pid=os.getpid(), host=files.host(), pid_started=None)
    ann = [queued("user:ann", now + i) for i in range(3)]
    bob = queued("user:bob", now + 5)
    assert position(store.root, bob) == 0 and [position(store.root, r) for r in ann] == [1, 2, 3]
    assert position(store.root, training) is None
