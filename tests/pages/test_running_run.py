"""A reloaded page shows the running run's settings, and Results follows the run that just ended."""

import secrets
import time

import numpy as np

from lib.jobs.folder import files
from lib.jobs.folder.protocol import update_status
from lib.jobs.folder.store import RunStore
from lib.tasks import config_for
from tests.helpers.runs import make_lung2d_run, make_running_run
from tests.pages.conftest import open_page


def test_a_reload_shows_the_running_runs_settings_and_results_follow_it_when_it_ends(app_env, demo_root):
    store = RunStore(app_env / "runs")
    make_lung2d_run(store, demo_root / "lungs")  # an older finished run, shared
    owner = secrets.token_hex(16)
    config = config_for("lung2d", preset="quick", data=str(demo_root / "lungs"), image_size=64, epochs=3, filters=8)
    run_dir = make_running_run(store, config, owner, label="my run")
    at = open_page("pages/lung2d.py", timeout=120, owner=owner)  # a reload: a new session, the owner token from the URL
    assert at.number_input(key="l2_epochs").value == 3 and at.select_slider(key="l2_filters").value == 8
    assert any("prepares your **next** run" in i.value for i in at.info)
    assert any("Settings of the running run" in e.label for e in at.expander)
    assert [b.label for b in at.button].count("Stop") == 1
    older = at.selectbox(key="lung2d_run_choice").value
    assert older != run_dir.name

    # the run ends: the live panel notices and Results switches to it
    files.write_json_atomic(run_dir / files.METRICS, {"mean_iou": 0.5, "accuracy": 0.9, "mean_dice": 0.6})
    files.write_npz_atomic(run_dir / files.PREDICTIONS, **dict(np.load(store.path(older) / files.PREDICTIONS)))
    files.write_history_atomic(run_dir / files.HISTORY, [{"epoch": 1, "loss": 0.5, "partial": False}])
    update_status(run_dir, state="done", ended=time.time())
    at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="lung2d_run_choice").value == run_dir.name


def test_a_start_clicked_while_a_run_is_active_is_dropped_not_kept_for_later(app_env, demo_root):
    """A second tab's stale Start while the user's run trains: refused with a word, and never fired by itself when that
    run ends (it used to be kept and start a run nobody asked for)."""
    store = RunStore(app_env / "runs")
    owner = secrets.token_hex(16)
    config = config_for("lung2d", preset="quick", data=str(demo_root / "lungs"), image_size=64, epochs=3, filters=8)
    run_dir = make_running_run(store, config, owner, label="my run")
    at = open_page("pages/lung2d.py", timeout=120, owner=owner)
    at.session_state["_lung2d_start_requested"] = True  # what the Start button's callback sets
    at.run()
    assert any("no second one was started" in w.value for w in at.warning)
    update_status(run_dir, state="stopped", ended=time.time())
    at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [r.run_id for r in store.list()[0]] == [run_dir.name]  # nobody started another run
