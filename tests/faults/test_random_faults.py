"""Every kind of fault once, and three more drawn at random, in a random order, against a running queue: afterwards
every run is listed, and each is either loadable or clearly failed, and no temporary file is left anywhere."""

import json
import os
import signal
import time

import keras
import numpy as np

from lib.atomic import TMP_PREFIX
from lib.jobs.folder import files
from lib.jobs.folder.protocol import FINAL_STATES, read_status, request_stop
from lib.jobs.folder.store import RunStore
from lib.jobs.executor import start_run
from lib.jobs.executor import LocalProcessExecutor
from tests.lib.training.conftest import tiny_config


def _running_with_epochs(run_dir, epochs=1):
    try:
        return read_status(run_dir).get("state") == "running" and len(files.read_history(run_dir / files.HISTORY)) >= epochs
    except ValueError:
        return False


def _signal(sig):
    def act(run_dir):
        os.kill(read_status(run_dir)["pid"], sig)
    return act


def test_every_fault_and_three_random_ones_against_a_running_queue(demo_root, runs_dir, monkeypatch):
    monkeypatch.setenv("DLMI_MAX_JOBS", "2")
    store, executor = RunStore(runs_dir), LocalProcessExecutor()
    quick = lambda **o: tiny_config("lung2d", demo_root, **o)  # noqa: E731
    long = lambda: quick(epochs=1000, batch_size=1)  # noqa: E731

    def start(config):
        return start_run(store, config, owner="alice", executor=executor)

    def hand_made(status=None, config=None):
        run_dir = store.create({"task": "lung2d"}, owner="bob")
        if status is not None:
            (run_dir / files.STATUS).write_text(status)
        if config is not None:
            (run_dir / files.CONFIG).write_text(config)
        return run_dir

    faults = {  # name: () -> (run folder, (condition, action) or None)
        "sigterm while training": lambda: (start(long()), (_running_with_epochs, _signal(signal.SIGTERM))),
        "sigkill while training": lambda: (start(long()), (_running_with_epochs, _signal(signal.SIGKILL))),
        "stop while training": lambda: (start(long()), (_running_with_epochs, request_stop)),
        "stop while queued": lambda: (start(quick()), (lambda d: True, request_stop)),
        "missing data": lambda: (start(quick(data=str(runs_dir / "nowhere"))), None),
        "a normal run": lambda: (start(quick()), None),
        "status of the wrong types": lambda: (hand_made(status=json.dumps({"state": "running", "pid": [1], "created": None})), None),
        "damaged config": lambda: (hand_made(config="{not json"), None),
        "a writer killed mid-write": lambda: (start(quick()), (lambda d: True,
                                                              lambda d: (d / f"{TMP_PREFIX}999-1-status.json").write_text("{"))),
    }
    rng = np.random.default_rng(20261128)
    # each kind once and three more (a worker process each: twenty took 80 s of a 2-core CI), in a random order
    drawn = list(rng.permutation(list(faults) + [list(faults)[i] for i in rng.integers(0, len(faults), size=3)]))
    pending, created = [], []
    for name in drawn:
        run_dir, trigger = faults[name]()
        created.append((name, run_dir))
        if trigger:
            pending.append((run_dir, *trigger))

    deadline = time.time() + 420
    while time.time() < deadline:
        for item in list(pending):
            run_dir, condition, action = item
            if condition(run_dir):
                try:
                    action(run_dir)
                except (ProcessLookupError, KeyError, ValueError):
                    pass  # it ended on its own meanwhile
                pending.remove(item)
        runs, unreadable = store.list()
        if not pending and all(r.state in FINAL_STATES for r in runs):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"not settled: {[(r.label, r.state) for r in store.list()[0] if r.state not in FINAL_STATES]}")

    runs, unreadable = store.list()
    listed = {r.run_id: r for r in runs}
    assert {d.name for _, d in created} == set(listed) | {u.name for u in unreadable}
    assert {u.name for u in unreadable} == {d.name for n, d in created if n in ("status of the wrong types", "damaged config")}
    for name, run_dir in created:
        if run_dir.name not in listed:
            continue
        run = listed[run_dir.name]
        if run.state == "failed":
            assert run.error, name
        elif run.metrics:  # done, or stopped after it learned something: its model loads
            assert keras.models.load_model(run_dir / files.MODEL) is not None, name
        else:
            assert run.state == "stopped" and run.status.get("stop_reason"), name
    left = [p for p in runs_dir.rglob("*") if p.name.startswith((TMP_PREFIX, ".new-", ".deleting-")) or p.name.endswith(".tmp")]
    assert left == []
