"""Before Start, every task page says how long the run should take on this machine."""

import time

import pytest

from lib.runs import files
from lib.runs.protocol import update_status
from lib.runs.store import SHARED_OWNER, RunStore
from lib.tasks import make_config
from tests.pages.conftest import open_page

PAGES = [("pages/dr.py", "dr", "eyepacs", "1 min 50 s"), ("pages/lung2d.py", "lung2d", "lungs", "1 min 50 s"),
         ("pages/lung3d.py", "lung3d", "lungs", "3 min 40 s")]


def _expected(at) -> str:
    said = [c.value for c in at.caption if c.value.startswith("Expected duration")]
    assert len(said) == 1, [c.value for c in at.caption]
    return said[0]


@pytest.mark.parametrize("page, task, dataset, budget", PAGES)
def test_the_quick_preset_promises_its_budget_before_start(app_env, page, task, dataset, budget):
    at = open_page(page, timeout=120)
    assert f"at most {budget}" in _expected(at)
    at.number_input(key=f"{ {'dr': 'dr', 'lung2d': 'l2', 'lung3d': 'l3'}[task]}_time_budget_s").set_value(0.0).run()
    assert "unknown" in _expected(at)


def test_an_earlier_run_with_the_same_settings_gives_the_expected_duration(app_env):
    at = open_page("pages/dr.py", timeout=120)
    store = RunStore(app_env / "runs")
    config = make_config("dr", preset="quick", data=str(app_env / "data" / "demo" / "eyepacs"), seed=5)
    run_dir = store.create(config, owner=SHARED_OWNER, label="earlier")
    now = time.time()
    update_status(run_dir, state="done", started=now - 95, ended=now, host=files.host())
    at.run()
    assert "about 1 min 35 s on this machine (the median of 1 earlier run with these settings)" in _expected(at)
    at.number_input(key="dr_epochs").set_value(3).run()  # other settings: no longer comparable
    assert "at most 1 min 50 s" in _expected(at)
