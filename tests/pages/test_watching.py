"""The live panel rebuilds what it shows only when the run's files change (watching costs next to nothing)."""

import os
import secrets
import time

from lib.jobs.folder import files
from lib.jobs.folder.store import RunStore
from lib.tasks import config_for
from tests.helpers.runs import make_running_run
from tests.pages.conftest import ROOT, open_page


def test_the_live_panel_redraws_only_when_the_run_changes(app_env, demo_root):
    owner = secrets.token_hex(16)
    config = config_for("lung2d", preset="quick", data=str(demo_root / "lungs"), image_size=64)
    run_dir = make_running_run(RunStore(app_env / "runs"), config, owner)
    files.write_json_atomic(run_dir / files.PROGRESS, {"phase": "training", "epoch": 0, "epochs": 30, "step": 3, "steps": 9,
                                                       "fraction": 0.01, "metrics": {"loss": 0.6}})
    at = open_page("pages/lung2d.py", timeout=120, owner=owner)
    assert any("Epoch 1/30 · batch 3/9" in p.proto.text for p in at.get("progress"))
    builds = at.session_state["_live_builds"]
    at.run()
    at.run()
    assert at.session_state["_live_builds"] == builds  # nothing changed: nothing was read or rebuilt
    assert any("Epoch 1/30 · batch 3/9" in p.proto.text for p in at.get("progress"))  # but still shown
    time.sleep(0.01)
    files.write_json_atomic(run_dir / files.PROGRESS, {"phase": "training", "epoch": 0, "epochs": 30, "step": 7, "steps": 9,
                                                       "fraction": 0.02, "metrics": {"loss": 0.5}})
    at.run()
    assert at.session_state["_live_builds"] == builds + 1
    assert any("batch 7/9" in p.proto.text for p in at.get("progress"))


def test_no_page_imports_a_deep_learning_framework_into_the_server(app_env, demo_root):
    """Once Keras is imported, Streamlit clears a Keras session (and collects garbage) after every rerun of every
    page: watching a run then costs the server tens of milliseconds a second per browser."""
    import subprocess
    import sys

    from lib.jobs.folder.store import RunStore
    from tests.helpers.runs import make_dr_run, make_lung2d_run, make_lung3d_run

    store = RunStore(app_env / "runs")
    make_dr_run(store, demo_root / "eyepacs")
    make_lung2d_run(store, demo_root / "lungs")
    make_lung3d_run(store, demo_root / "lungs")
    script = (
        "import sys; from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=180); at.run()\n"
        "for page in ('pages/dr.py', 'pages/lung2d.py', 'pages/lung3d.py'):\n"
        "    at.switch_page(page); at.run(); assert not at.exception, [e.value for e in at.exception]\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
