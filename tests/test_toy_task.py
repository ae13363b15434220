"""A fourth task is its own files and one line: the toy task of ``tests/toy/task.py`` is registered from the tests
alone (``DLMI_TASKS`` for other processes, :func:`lib.tasks.register` in this one) and runs end to end through the
command line, the engine and its worker processes, the run store, the class's limits and the generic page, with no
edit to any file outside ``tests/``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import tasks
from lib.jobs.executor import start_run
from lib.access.identity import Identity
from lib.access.policy import ClassSettings, LimitError, check_limits
from lib.jobs.folder.store import RunStore
from lib.jobs.executor import LocalProcessExecutor
from tests.toy import task as toy

ROOT = Path(__file__).resolve().parents[1]
MODULE = "tests.toy.task"


@pytest.fixture
def registered(monkeypatch):
    """The toy task in this process's registry, and in the environment its child processes inherit."""
    monkeypatch.setenv("DLMI_TASKS", MODULE)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    undo = tasks.register(toy.TASK)
    yield toy.TASK
    undo()


def _cli(*args, tmp_path):
    env = {**os.environ, "DLMI_TASKS": MODULE, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
           "DLMI_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "lib", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_command_line_writes_its_demo_and_trains_it_with_its_own_option(tmp_path):
    demo = _cli("demo", "toy", "--out", str(tmp_path / "demo"), tmp_path=tmp_path)
    assert demo.returncode == 0, demo.stderr[-2000:]
    data = tmp_path / "demo" / "toy"
    assert (data / "points.csv").is_file()
    inspected = _cli("inspect", "toy", str(data), "--json", tmp_path=tmp_path)
    assert inspected.returncode == 0 and json.loads(inspected.stdout.strip().splitlines()[-1])["n_items"] == 400
    trained = _cli("train", "toy", "--data", str(data), "--preset", "quick", "--hidden-units", "4",
                   "--runs-dir", str(tmp_path / "runs"), tmp_path=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary["state"] == "done" and 0 <= summary["accuracy"] <= 1
    assert json.loads(Path(summary["run_dir"], "config.json").read_text())["hidden"] == 4
    refused = _cli("train", "lung2d", "--data", str(data), "--hidden-units", "4", "--runs-dir", str(tmp_path / "runs"),
                   tmp_path=tmp_path)
    assert refused.returncode == 2 and "--hidden-units does not apply to the lung2d task" in refused.stderr


def test_the_engine_runs_it_in_a_worker_process_and_the_store_lists_it(registered, tmp_path):
    tasks.write_demo(tmp_path / "demo", ["toy"])
    store = RunStore(tmp_path / "runs", tasks=tasks.names())
    config = tasks.config_for("toy", data=str(tmp_path / "demo" / "toy"), epochs=2)
    run_dir = start_run(store, config, owner="alice", executor=LocalProcessExecutor())
    deadline = time.time() + 240
    while time.time() < deadline and store.load(run_dir.name).summary.state in ("queued", "running"):
        time.sleep(0.5)
    run = store.load(run_dir.name)
    assert run.summary.state == "done", run.status.get("error")
    assert list(run.history["epoch"]) == [1, 2] and 0 <= run.metrics["accuracy"] <= 1
    assert run.config["label"] == "8 hidden · lr 0.01"  # its fields' own formats
    assert "chance_loss" in run.status  # the engine's reading of its training data, as for every task
    # a server without the toy task lists the same folder as unreadable, saying why
    _, unreadable = RunStore(tmp_path / "runs", tasks=["dr", "lung2d", "lung3d"]).list()
    assert [u.name for u in unreadable] == [run_dir.name] and "'toy'" in unreadable[0].reason


def test_the_class_limits_read_its_declared_bounds(registered):
    student = Identity("bob", "student", "roster")
    settings = ClassSettings(auth="roster", users={"bob": "scrypt$x"})
    declared = {name: spec.cap for name, spec in registered.fields.items() if spec.cap}
    check_limits(settings, student, [{"hidden": 16}], active=0, caps=declared)
    with pytest.raises(LimitError, match="hidden = 64 is more than this class allows \\(32\\)"):
        check_limits(settings, student, [{"hidden": 64}], active=0, caps=declared)
    assert tasks.default_caps()["hidden"] == (None, 32)


def _page():
    from lib import tasks as registry
    from ui.generic import task_page
    from ui.navigation import task_pages

    import streamlit as st

    st.caption("pages: " + ", ".join(page.title for page in task_pages()))
    task_page(registry.get("toy"))


def test_the_generic_page_shows_trains_and_reads_it_back(registered, tmp_path, monkeypatch):
    import streamlit as st

    st.cache_resource.clear()  # a server of its own (one that has not run a class)
    monkeypatch.setenv("DLMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DLMI_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("DLMI_TOY_DATA", str(tmp_path / "points"))
    tasks.write_demo(tmp_path / "demo", ["toy"])
    (tmp_path / "demo" / "toy").rename(tmp_path / "points")
    at = AppTest.from_function(_page, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Toy points"
    assert any("pages: DR referral, Lung 2D, Lung 3D, Toy points" in c.value for c in at.caption)
    assert at.number_input(key="toy_hidden").value == 8  # the quick preset filled the generic control
    at.number_input(key="toy_hidden").set_value(4).run()
    at.button(key="toy_start").click().run()
    store = RunStore(tmp_path / "runs")
    runs, _ = store.list(task="toy")
    assert len(runs) == 1 and runs[0].config["hidden"] == 4
    deadline = time.time() + 240
    while time.time() < deadline and store.load(runs[0].run_id).summary.state in ("queued", "running"):
        time.sleep(1)
    at.run()
    assert store.load(runs[0].run_id).summary.state == "done"
    assert any(m.label == "Test accuracy" for m in at.metric), [m.label for m in at.metric]
