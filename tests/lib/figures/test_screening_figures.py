import numpy as np

from lib.figures.screening import MARKER_NAME, decision_curve_figure, reliability_figure, subgroup_roc_figure
from lib.metrics.calibration import apply_temperature, reliability
from lib.metrics.decision import decision_curve
from lib.metrics.subgroups import subgroups


def _set():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.clip(0.3 + 0.4 * labels + rng.normal(0, 0.2, 200), 0.01, 0.99)
    return scores, labels


def test_the_reliability_diagram_shows_both_curves_and_every_bin_count():
    scores, labels = _set()
    before, after = reliability(scores, labels, bins=5), reliability(apply_temperature(scores, 2.0), labels, bins=5)
    fig = reliability_figure(before, after)
    traces = {t.name: t for t in fig.data}
    assert set(traces) == {"perfectly calibrated", "scores as given", "after temperature scaling"}
    assert [int(t) for t in traces["scores as given"].text] == before.counts.tolist()
    assert np.allclose(traces["after temperature scaling"].y, after.observed)


def test_the_decision_curve_marks_the_chosen_point():
    scores, labels = _set()
    curve = decision_curve(scores, labels, thresholds=np.linspace(0.05, 0.5, 10))
    fig = decision_curve_figure(curve, marker=(0.3, 0.2))
    marker = next(t for t in fig.data if t.name == MARKER_NAME)
    assert (marker.x[0], marker.y[0]) == (0.3, 0.2)
    assert {t.name for t in fig.data} == {"the model", "refer everyone", "refer no one", MARKER_NAME}
    assert MARKER_NAME not in {t.name for t in decision_curve_figure(curve).data}


def test_each_group_gets_a_curve_and_its_point_at_the_shared_threshold():
    scores, labels = _set()
    groups = np.where(np.arange(200) % 2 == 0, "A", "B")
    rows = subgroups(scores, labels, groups, threshold=0.5, samples=50)
    fig = subgroup_roc_figure(rows, threshold=0.5)
    points = [t for t in fig.data if t.mode == "markers"]
    assert len(points) == 2
    a = rows[0]
    assert np.isclose(points[0].y[0], a.sensitivity.value) and np.isclose(points[0].x[0], 1 - a.specificity.value)
