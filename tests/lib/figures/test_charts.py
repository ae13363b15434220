"""The static charts: a report's ROC whose ticks and titles fit, and the class experiment's axes from its data."""

import math
from types import SimpleNamespace

import pytest

from lib.figures.charts import class_runs_figure, roc_figure


def _point(x, y, run_id="r1"):
    return SimpleNamespace(run_id=run_id, who="bob", x=x, y=y)


def test_the_reports_roc_keeps_room_for_every_tick_label_and_title():
    """Issue 30: 10 px margins clipped the y tick labels to ".8" and laid the titles on the curve and the ticks."""
    layout = roc_figure([0, 0.2, 1], [0, 0.8, 1], auc=0.8).to_plotly_json()["layout"]
    assert layout["margin"]["l"] >= 60 and layout["margin"]["b"] >= 50  # a title and a row of ticks fit
    for axis in ("xaxis", "yaxis"):
        assert layout[axis]["automargin"] is True
        assert layout[axis]["tickformat"] == ".1f"  # 0.0 ... 1.0, with the leading zero
        assert layout[axis]["title"]["standoff"] >= 8  # the title apart from the tick labels
        assert layout[axis]["dtick"] == 0.2


def test_a_single_learning_rate_gets_a_log_axis_around_it_and_the_auc_stays_within_0_1():
    """Issue 30: one shared run drew the learning rate from -0.5 to 1 and the AUC from 0 to 1.5."""
    layout = class_runs_figure([_point(0.001, 0.85)], x_title="Learning rate",
                               y_title="test auc").to_plotly_json()["layout"]
    assert layout["xaxis"]["type"] == "log"
    low, high = layout["xaxis"]["range"]  # log axes take powers of ten
    assert low < math.log10(0.001) < high and high - low == pytest.approx(2)
    low, high = layout["yaxis"]["range"]
    assert -0.05 <= low < 0.85 < high <= 1.05 and high - low <= 0.5


def test_the_class_experiments_axes_follow_the_data():
    points = [_point(0.0001, 0.62, "a"), _point(0.01, 0.91, "b"), _point(0.1, 0.5, "c")]
    layout = class_runs_figure(points, x_title="Learning rate", y_title="test auc").to_plotly_json()["layout"]
    low, high = layout["xaxis"]["range"]
    assert low < -4 and high > -1 and high - low < 4  # a little room past 1e-4 and 0.1
    low, high = layout["yaxis"]["range"]
    assert 0.3 < low < 0.5 and 0.91 < high <= 1.05
    epochs = class_runs_figure([_point(20, 0.8)], x_title="Epochs", y_title="test auc").to_plotly_json()["layout"]
    assert epochs["xaxis"].get("type") != "log"
    low, high = epochs["xaxis"]["range"]
    assert 0 < low < 20 < high  # never below zero for a count
    gap = class_runs_figure([_point(20, -0.3), _point(10, 0.4)], x_title="Epochs",
                            y_title="validation loss - training loss").to_plotly_json()["layout"]
    low, high = gap["yaxis"]["range"]
    assert low < -0.3 and high > 0.4  # not a share: the data's own range
