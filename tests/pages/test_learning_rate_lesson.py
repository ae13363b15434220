"""The learning-rate lesson on the DR page: a run stuck at chance says so, names its learning rate, and the
comparison with the student's other runs (or the setting to try) is one click away."""

import json

import numpy as np

from lib.jobs.folder import files
from lib.jobs.folder.protocol import update_status
from lib.jobs.folder.store import RunStore
from tests.helpers.runs import make_dr_run
from tests.pages.conftest import open_page

LN2 = float(np.log(2))


def _stuck(run_dir, learning_rate=0.1):
    """Turn a saved run into one trained at ``learning_rate`` whose loss sat at ln 2 after a first-epoch jump and
    whose test scores are all the same (AUC 0.5)."""
    config = json.loads((run_dir / files.CONFIG).read_text())
    files.write_json_atomic(run_dir / files.CONFIG, {**config, "learning_rate": learning_rate})
    loss = [1.81] + list(LN2 + np.random.default_rng(0).normal(0, 0.002, 9))
    rows = [{"epoch": e + 1, "loss": v, "accuracy": 0.5, "val_loss": LN2, "val_accuracy": 0.5, "partial": False}
            for e, v in enumerate(loss)]
    files.write_history_atomic(run_dir / files.HISTORY, rows)
    update_status(run_dir, chance_loss=LN2, positive_share=0.5, input_spread=0.12)
    with np.load(run_dir / files.PREDICTIONS) as saved:  # and its test results agree: one score for every photo
        predictions = {k: saved[k] for k in saved.files}
    predictions["scores"] = np.full_like(predictions["scores"], 0.5)
    files.write_npz_atomic(run_dir / files.PREDICTIONS, **predictions)
    metrics = json.loads((run_dir / files.METRICS).read_text())
    labels = predictions["labels"]
    files.write_json_atomic(run_dir / files.METRICS, {**metrics, "auc": 0.5, "accuracy": float(labels.mean())})


def test_a_run_stuck_at_chance_names_the_learning_rate_and_offers_the_next_one(app_env, demo_root):
    store = RunStore(app_env / "runs")
    _stuck(make_dr_run(store, demo_root / "eyepacs"))
    at = open_page("pages/dr.py")
    stuck = [w.value for w in at.warning if "stuck at chance" in w.value]
    assert stuck and "0.693 = ln 2" in stuck[0] and "The learning rate, 0.1, is above the usual range" in stuck[0]
    assert "Compare: your runs of this task at another learning rate" in [e.label for e in at.expander]
    assert any("no finished run of this task at another learning rate" in c.value for c in at.caption)
    at.button(key=next(b.key for b in at.button if b.label == "Use a learning rate of 0.001 for my next run")).click().run()
    assert at.select_slider(key="dr_learning_rate").value == 0.001
    assert any("now 0.001" in s.value for s in at.success)
    # the question about changing the learning rate invites the student to change it (one rate tried so far)
    assert any(e.label.startswith("Think about it: What would a learning rate of 0.001 do?") for e in at.expander)


def test_the_comparison_overlays_the_students_runs_at_other_learning_rates(app_env, demo_root):
    store = RunStore(app_env / "runs")
    stuck = make_dr_run(store, demo_root / "eyepacs")
    _stuck(stuck)
    other = make_dr_run(store, demo_root / "eyepacs", seed=1)  # learning rate 0.001 (the quick preset's)
    at = open_page("pages/dr.py")
    at.selectbox(key="dr_run_choice").set_value(stuck.name).run()
    charts = [c for c in at.get("plotly_chart") if "_compare_learning_rate" in (c.proto.id or "") or
              "loss of the runs compared" in c.proto.spec]
    assert charts, "no comparison chart"
    spec = json.loads(charts[0].proto.spec)
    names = {trace.get("name", "") for trace in spec["data"]}
    assert any("learning rate 0.1 (this run)" in n for n in names) and any("learning rate 0.001" in n for n in names), names
    assert any(shape.get("y0") == LN2 for shape in spec["layout"].get("shapes", []))  # the chance line
    assert ("The training (solid) and validation (dashed) loss of each epoch, this run (learning rate 0.1) against your 1 "
            "latest run(s) at another learning rate; the dotted line is the loss of answering the same for everything."
            in [c.value for c in at.caption])
    assert other.name != stuck.name
    assert any(e.label.startswith("Think about it: What did changing the learning rate do") for e in at.expander)
