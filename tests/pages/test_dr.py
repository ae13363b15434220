import numpy as np
import pytest

from lib.metrics.roc import operating_point, roc, youden_index
from lib.metrics.uncertainty import Bootstrap
from lib.notice import prevalence_reading
from lib.runs.store import RunStore
from tests.helpers.runs import make_dr_run
from tests.pages.conftest import open_page


@pytest.fixture
def dr_run(app_env, demo_root):
    return make_dr_run(RunStore(app_env / "runs"), demo_root / "eyepacs")


def _component(at):
    return [e for e in at.get("bidi_component")][0]


def test_page_walks_from_histogram_to_the_operating_point(dr_run):
    at = open_page("pages/dr.py")
    headers = [h.value for h in at.header]
    assert headers[:4] == ["1. The data", "2. Refer or not: balanced sampling", "3. Preprocessing and split", "4. Model and training"]
    assert "6. Choose the operating point" in headers and "7. The photos behind the numbers" in headers
    assert [m.label for m in at.metric][:3] == ["train (60/20/20)", "val (60/20/20)", "test (60/20/20)"]
    # the chosen run's scores, Youden's point by default, and the figures lib computes for it
    predictions = np.load(dr_run / "predictions.npz")
    curve = roc(predictions["scores"], predictions["labels"])
    youden = float(curve.thresholds[youden_index(curve)])
    assert at.number_input(key="dr_threshold_input").value == pytest.approx(youden)
    point = operating_point(predictions["scores"], predictions["labels"], youden, prevalence=0.2)
    boot = Bootstrap(predictions["scores"].astype(float), predictions["labels"].astype(int), samples=1000, seed=0)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Sensitivity: 95 % interval"] == boot.sensitivity(youden).span()
    assert shown["Specificity: 95 % interval"] == boot.specificity(youden).span()
    assert "Sensitivity" not in shown and "PPV at 20%" not in shown  # the panel shows the point's figures, once
    labels = predictions["labels"]
    assert any(prevalence_reading(point.sensitivity, point.specificity, float(labels.mean()), 0.2) in i.value for i in at.info)
    assert _component(at) is not None


def test_presets_and_typed_threshold_update_the_figures(dr_run):
    at = open_page("pages/dr.py")
    predictions = np.load(dr_run / "predictions.npz")
    at.button(key="dr_screening").click().run()
    chosen = at.number_input(key="dr_threshold_input").value
    assert operating_point(predictions["scores"], predictions["labels"], chosen).sensitivity >= 0.95
    at.number_input(key="dr_threshold_input").set_value(0.9).run()
    boot = Bootstrap(predictions["scores"].astype(float), predictions["labels"].astype(int), samples=1000, seed=0)
    assert next(m.value for m in at.metric if m.label == "Specificity: 95 % interval") == boot.specificity(0.9).span()
    assert any("False positives" in s.value for s in at.subheader)


def test_a_drag_reported_by_the_component_moves_the_threshold(dr_run):
    at = open_page("pages/dr.py")
    at.session_state["dr_roc"] = {"threshold": 0.42}  # what the browser sends when the handle is released
    at.run()
    assert at.number_input(key="dr_threshold_input").value == pytest.approx(0.42)


def test_histogram_and_thumbnails_per_level(app_env, demo_root):
    from lib.data import read_eyepacs

    at = open_page("pages/dr.py")
    assert any("largest class" in c.proto.spec for c in at.get("plotly_chart"))
    assert any("Synthetic demo data" in w.value for w in at.warning)
    levels = read_eyepacs(demo_root / "eyepacs").summary["levels"]
    strips = [m.value for m in at.markdown if m.value.startswith("**Level ")]
    assert len(strips) == 5
    per_level = [len(img.proto.imgs) for img in at.get("image")][: sum(1 for n in levels.values() if n)]
    assert per_level == [min(4, n) for n in levels.values() if n]
    at.slider[0].set_value(2).run()
    assert [len(img.proto.imgs) for img in at.get("image")][0] == 2


def test_bad_learning_rate_warns_and_no_run_means_no_results(app_env):
    at = open_page("pages/dr.py")
    assert any("No finished run yet" in i.value for i in at.info)
    at.select_slider(key="dr_learning_rate").set_value(0.1).run()
    assert "What do you expect from a learning rate of 0.1?" in [e.label for e in at.expander]
    assert not any("too large" in w.value for w in at.warning)  # the run teaches it, the diagnosis explains it
    at.radio(key="dr_preset").set_value("Course defaults").run()
    assert at.selectbox(key="dr_image_size").value == 224 and at.number_input(key="dr_epochs").value == 30
