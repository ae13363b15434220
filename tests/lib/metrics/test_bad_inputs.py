"""Metric functions refuse nonsense where it enters, with a ValueError that names the argument (the scikit-learn way).

Each case is one that an earlier version answered with an IndexError, a silent NaN or a number outside [0, 1].
"""

import warnings

import numpy as np
import pytest

from lib.metrics.roc import (
    operating_point, ppv_npv_at_prevalence, roc, threshold_for_sensitivity, threshold_for_specificity,
)
from lib.metrics.segmentation import dice, iou, per_item_scores
from lib.metrics.uncertainty import MAX_DRAWN, Bootstrap

CURVE = roc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])


@pytest.mark.parametrize("find", [threshold_for_sensitivity, threshold_for_specificity])
@pytest.mark.parametrize("target", [1.2, -0.1, float("nan")])
def test_a_target_outside_0_1_is_named(find, target):
    with pytest.raises(ValueError, match=r"target must be a number in \[0, 1\]"):
        find(CURVE, target)


@pytest.mark.parametrize("find", [threshold_for_sensitivity, threshold_for_specificity])
def test_targets_at_the_ends_are_answered(find):
    assert np.isfinite(find(CURVE, 0.0)) and np.isfinite(find(CURVE, 1.0))


def test_an_empty_test_set_is_named_not_blamed_on_the_prevalence():
    with pytest.raises(ValueError, match="scores is empty"):
        operating_point([], [], 0.5)


def test_a_scalar_is_not_a_test_set():
    with pytest.raises(ValueError, match="scores must be a 1-d array"):
        operating_point(0.5, 1, 0.5)


@pytest.mark.parametrize("threshold", [float("nan"), "high"])
def test_a_threshold_that_is_not_a_number_is_named(threshold):
    with pytest.raises(ValueError, match="threshold must be a number"):
        operating_point([0.2, 0.8], [0, 1], threshold)


@pytest.mark.parametrize("values, name", [((1.2, 0.8, 0.2), "sensitivity"), ((0.9, -0.1, 0.2), "specificity"),
                                          ((0.9, 0.8, 1.5), "prevalence"), ((0.9, 0.8, float("nan")), "prevalence")])
def test_rates_outside_0_1_are_refused(values, name):
    with pytest.raises(ValueError, match=f"{name} must be"):
        ppv_npv_at_prevalence(*values)


def test_an_undefined_rate_gives_undefined_values():
    """NaN sensitivity (a test set without positives) means "not defined": it propagates, it is not an error."""
    ppv, npv = ppv_npv_at_prevalence(float("nan"), 0.8, 0.2)
    assert np.isnan(ppv) and np.isnan(npv)


@pytest.mark.parametrize("function", [iou, dice])
def test_segmentation_refuses_text_labels(function):
    with pytest.raises(ValueError, match="y_true must hold 0 / 1"):
        function([[1, 0]], [["lung", "air"]])


@pytest.mark.parametrize("function", [iou, dice])
def test_segmentation_refuses_nan_probabilities(function):
    with pytest.raises(ValueError, match="y_pred holds 1 NaN"):
        function([[0.9, float("nan")]], [[1, 0]])


def test_segmentation_refuses_probabilities_outside_0_1():
    with pytest.raises(ValueError, match=r"y_pred must be probabilities in \[0, 1\]"):
        iou([[3.0, -2.0]], [[1, 0]])


def test_segmentation_refuses_masks_other_than_0_1():
    with pytest.raises(ValueError, match="y_true must hold 0 / 1"):
        iou([[1, 0]], [[255, 0]])


@pytest.mark.parametrize("empty", [np.zeros((0, 4, 4)), np.zeros(())])
def test_per_item_scores_needs_items(empty):
    with pytest.raises(ValueError, match="y_pred"):
        per_item_scores(empty, empty)


def test_bootstrap_refuses_nan_scores():
    with pytest.raises(ValueError, match="scores hold 1 NaN"):
        Bootstrap([0.1, float("nan"), 0.8, 0.9], [0, 0, 1, 1], samples=50)


def test_bootstrap_refuses_labels_other_than_0_1():
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        Bootstrap([0.1, 0.2, 0.8, 0.9], [0, 2, 1, 1], samples=50)


def test_bootstrap_honours_the_sample_count():
    boot = Bootstrap([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], samples=10)
    assert boot.samples == 10
    with pytest.raises(ValueError, match="samples must be"):
        Bootstrap([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], samples=0)


def test_bootstrap_keeps_its_memory_bound_and_says_so():
    """At 100,000 test items the indices of 1,000 resamples would take 400 MB: it draws fewer, within MAX_DRAWN, and
    warns with the number it drew."""
    n = 100_000
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    with pytest.warns(UserWarning, match=r"\d+ resamples instead of 1000"):
        boot = Bootstrap(rng.random(n), labels, samples=1000)
    held = boot._pos.nbytes + boot._neg.nbytes
    assert boot.samples * n <= MAX_DRAWN
    assert held <= MAX_DRAWN * boot._pos.itemsize
    assert held <= 16 * 2**20  # the 16 MB the module promises


def test_bootstrap_within_the_bound_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Bootstrap(np.linspace(0, 1, 200), np.arange(200) % 2, samples=1000)
