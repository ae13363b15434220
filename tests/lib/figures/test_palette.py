"""The palette for every colour vision: CIEDE2000 differences under simulated protanopia, deuteranopia and tritanopia,
and the contrast of the charts' text, all computed here from the published matrices and WCAG's formula (never from
numbers the palette module gives)."""

import itertools

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from lib.figures import palette
from lib.figures.charts import class_counts_chart, level_histogram, pairs_figure, precision_recall_figure, roc_figure
from lib.figures.display import error_overlay, sparse_overlay
from lib.figures.segmentation import per_slice_chart, score_histogram
from lib.figures.training import history_figure, schedule_figure
from lib.figures.volume3d import lungs_3d_figure

# Machado, Oliveira and Fernandes (2009), "A physiologically-based model for simulation of color vision deficiency",
# IEEE TVCG 15(6), table of matrices at severity 1.0; they act on linear RGB.
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
    "typical": np.eye(3).tolist(),
}
MID_GREY = 128
NEEDED = 20.0


def _linear(rgb):
    c = np.asarray(rgb, float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _encoded(linear):
    c = np.clip(linear, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def _seen(rgb, vision: str) -> np.ndarray:
    """The sRGB (0-1) a viewer with ``vision`` sees for 8-bit ``rgb``."""
    return _encoded(_linear(rgb) @ np.asarray(MACHADO[vision]).T)


def _delta_e(a, b, vision: str) -> float:
    lab_a, lab_b = rgb2lab(_seen(a, vision)[None, None]), rgb2lab(_seen(b, vision)[None, None])
    return float(deltaE_ciede2000(lab_a, lab_b)[0, 0])


def _luminance(rgb) -> float:
    return float(_linear(rgb) @ [0.2126, 0.7152, 0.0722])


def _contrast(a, b) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(hex_colour: str):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _worst(colours, vision):
    return min(_delta_e(a, b, vision) for a, b in itertools.combinations(colours, 2))


def test_the_simulation_reproduces_the_audit_of_the_old_overlay_colours():
    """The oracle can fail: the old green / orange / magenta gave true vs false positive a ΔE of 2.9 (swatches) and
    6.5 (blended into the CT) under protanopia in the audit (issue 34)."""
    green, orange = (40, 200, 70), (255, 170, 0)
    assert _delta_e(green, orange, "protanopia") == pytest.approx(2.9, abs=0.1)
    blend = lambda c: np.floor(0.5 * MID_GREY + 0.5 * np.asarray(c, float))
    assert _delta_e(blend(green), blend(orange), "protanopia") == pytest.approx(6.5, abs=0.6)


@pytest.mark.parametrize("vision", list(MACHADO))
def test_error_colours_stay_apart_for_every_colour_vision(vision):
    colours = list(palette.ERRORS.values())
    assert len(set(colours)) == 3
    assert _worst(colours, vision) >= NEEDED
    # as error_overlay draws them, half blended into a mid-grey CT: the pixels it returns
    grey = np.full((1, 4), MID_GREY, np.uint8)
    drawn = error_overlay(grey, np.array([[1, 1, 0, 0]]), np.array([[1, 0, 1, 0]]), alpha=0.5)[0]
    tp, fn, fp, untouched = (tuple(int(v) for v in p) for p in drawn)
    assert untouched == (MID_GREY,) * 3
    assert _worst([tp, fp, fn], vision) >= NEEDED


@pytest.mark.parametrize("vision", list(MACHADO))
def test_roc_marks_and_sparse_labels_stay_apart(vision):
    assert _worst(list(palette.ROC.values()), vision) >= NEEDED
    # the sparse labels as sparse_overlay draws them on a mid-grey slice (lung 45 %, background 25 %)
    drawn = sparse_overlay(np.full((1, 2), MID_GREY, np.uint8), np.array([[1, 0]]))[0]
    assert _delta_e(drawn[0], drawn[1], vision) >= NEEDED / 2  # a tint, not a fill: half the bar


def test_graphics_hold_three_to_one_against_white():
    """WCAG 1.4.11: the curve, the handle and the missed lung against the white page."""
    for rgb in (palette.ROC["curve"], palette.ROC["handle"], palette.FN_RGB):
        assert _contrast(rgb, (255, 255, 255)) >= 3.0


FIGURES = {
    "level histogram": lambda: level_histogram({0: 7, 2: 3}, {0: "No DR", 2: "Moderate"}),
    "class counts": lambda: class_counts_chart({"a": 2, "b": 1}, {"a": 1, "b": 1}),
    "pairs": lambda: pairs_figure([1.0, 0.5, 0.67], 0.7),
    "precision recall": lambda: precision_recall_figure([0, 0.5, 1], [0, 0.2, 1], test_prevalence=0.5, prevalence=0.2,
                                                        point=(0.5, 0.8)),
    "roc": lambda: roc_figure([0, 0.2, 1], [0, 0.5, 1], auc=0.7, point=(0.2, 0.5)),
    "score histogram": lambda: score_histogram(np.array([0.9, 0.95])),
    "per slice": lambda: per_slice_chart(np.array([0.9, 0.95])),
    "history": lambda: history_figure(__import__("pandas").DataFrame({"epoch": [1], "loss": [0.5], "accuracy": [0.6]}),
                                      chance_loss=0.69),
    "schedule": lambda: schedule_figure([1e-3, 5e-4]),
    "3d": lambda: lungs_3d_figure(np.pad(np.ones((2, 2, 2)), 2), np.pad(np.ones((2, 2, 3)), ((2, 2), (2, 2), (2, 1)))),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_chart_text_reads_at_four_and_a_half_to_one(name):
    layout = FIGURES[name]().layout
    colours = {"font": layout.font.color, "title": layout.title.font.color, "legend": layout.legend.font.color}
    axes = [k for k in layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]
    for key in axes:
        colours[f"{key} ticks"] = layout[key].tickfont.color
        colours[f"{key} title"] = layout[key].title.font.color
    if name == "3d":
        for axis in ("xaxis", "yaxis", "zaxis"):
            colours[f"scene {axis}"] = layout.scene[axis].tickfont.color
    for i, annotation in enumerate(layout.annotations or ()):
        colours[f"annotation {i}"] = annotation.font.color
    assert axes or name == "3d"
    unreadable = {k: v for k, v in colours.items() if v is None or _contrast(_rgb(v), (255, 255, 255)) < 4.5}
    assert not unreadable, f"{name}: text below 4.5:1 on white: {unreadable}"
