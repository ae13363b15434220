import numpy as np
import pytest

from lib.figures.charts import class_counts_chart, level_histogram
from lib.figures.display import FN_RGB, FP_RGB, TP_RGB, error_overlay, overlay, plane, window


def test_window_maps_level_and_width():
    out = window(np.array([-1350.0, -600.0, 150.0, 3000.0]), level=-600, width=1500)
    assert out.tolist() == [0, 127, 255, 255]
    with pytest.raises(ValueError):
        window(np.zeros(2), width=0)


def test_error_overlay_colours_each_outcome():
    grey = np.zeros((1, 4), np.uint8)
    truth = np.array([[1, 1, 0, 0]])
    pred = np.array([[1, 0, 1, 0]])
    out = error_overlay(grey, truth, pred, alpha=1.0)
    assert [tuple(p) for p in out[0]] == [TP_RGB, FN_RGB, FP_RGB, (0, 0, 0)]


def test_overlay_checks_shapes():
    with pytest.raises(ValueError, match=r"\(2, 2\) and \(2, 3\)"):
        overlay(np.zeros((2, 2), np.uint8), np.zeros((2, 3)))


def test_plane_takes_each_axis():
    volume = np.arange(24).reshape(2, 3, 4)
    assert plane(volume, 0, 1).shape == (3, 4)
    assert plane(volume, 1, 2).tolist() == volume[:, 2, :].tolist()
    assert plane(volume[..., None], 2, 3).shape == (2, 3)
    with pytest.raises(IndexError, match="outside 0..1"):
        plane(volume, 0, 2)


def test_level_histogram_reports_largest_share():
    fig = level_histogram({0: 735, 1: 70, 2: 151, 3: 25, 4: 19}, {0: "No DR"})
    assert "73.5% of 1000" in fig.layout.title.text
    assert list(fig.data[0].y) == [735, 70, 151, 25, 19]
    fig = class_counts_chart({"no refer": 80, "refer": 20}, {"no refer": 20, "refer": 20})
    assert [list(t.y) for t in fig.data] == [[80, 20], [20, 20]]


def test_outline_mode_colours_only_the_border_of_each_region():
    """A 5x5 true lung, the prediction its left 5x3: true positives fill columns 0-2, missed lung columns 3-4. In
    outline mode only each region's border takes its colour (in full), the CT inside stays grey."""
    grey = np.full((5, 5), 100, np.uint8)
    truth = np.ones((5, 5), np.uint8)
    prediction = np.zeros((5, 5), np.uint8)
    prediction[:, :3] = 1
    out = error_overlay(grey, truth, prediction, outline=True)
    assert tuple(out[2, 1]) == (100, 100, 100)  # inside the true positives: untouched
    assert tuple(out[0, 1]) == TP_RGB and tuple(out[2, 2]) == TP_RGB  # their top edge and their right edge
    assert tuple(out[2, 3]) == FN_RGB and tuple(out[2, 4]) == FN_RGB  # two columns wide: all border
    filled = error_overlay(grey, truth, prediction)
    assert tuple(filled[2, 1]) != (100, 100, 100)  # the default fills
