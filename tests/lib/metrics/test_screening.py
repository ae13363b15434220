import json

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from lib.metrics.screening import summary


def _set(seed=0, n=400):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    groups = np.where(rng.random(n) < 0.5, "left", "right")
    scores = 1 / (1 + np.exp(-2.5 * z))  # over-confident by a temperature of 2.5
    return scores, labels, groups


def test_every_figure_against_scikit_learn_or_by_hand():
    scores, labels, groups = _set()
    got = summary(scores, labels, groups=groups, threshold=0.5, thresholds=[0.1, 0.25], samples=200)
    json.dumps(got, allow_nan=False)  # valid JSON, no NaN
    assert got["n"] == 400 and got["n_pos"] == labels.sum()
    assert got["auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert got["auc_interval"][0] < got["auc"] < got["auc_interval"][1]
    assert got["brier"] == pytest.approx(brier_score_loss(labels, scores))
    observed, predicted = calibration_curve(labels, scores, n_bins=10, strategy="quantile")
    assert got["ece"] == pytest.approx(np.mean(np.abs(observed - predicted)), abs=0.01)  # 10 bins of 40
    assert got["temperature"] > 1.2 and "held-out half" in got["temperature_fitted_on"]
    assert got["sensitivity"] == pytest.approx(np.mean(scores[labels == 1] >= 0.5))
    for pt in (0.1, 0.25):
        referred = scores >= pt
        tp, fp = np.sum(referred & (labels == 1)), np.sum(referred & (labels == 0))
        assert got["net_benefit"][f"{pt:g}"] == pytest.approx(tp / 400 - fp / 400 * pt / (1 - pt))
    assert set(got["groups"]) == {"left", "right"}
    left = groups == "left"
    assert got["groups"]["left"]["n"] == left.sum()
    assert got["groups"]["left"]["auc"] == pytest.approx(roc_auc_score(labels[left], scores[left]))
    assert got["groups"]["right"]["specificity"] == pytest.approx(np.mean(scores[~left & (labels == 0)] < 0.5))


def test_the_default_threshold_is_youdens():
    scores, labels, _ = _set(1)
    got = summary(scores, labels, samples=50)
    fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
    assert got["threshold_rule"] == "Youden's J"
    assert got["sensitivity"] - (1 - got["specificity"]) == pytest.approx(np.max(tpr - fpr))
    assert got["groups"] == {}


def test_scores_that_are_not_probabilities_get_no_calibration_and_say_why():
    scores, labels, _ = _set(2)
    got = summary(np.log(scores / (1 - scores)), labels, samples=50)
    assert got["auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert got["brier"] is None and got["temperature"] is None and got["net_benefit"] == {}
    assert "not probabilities in [0, 1]" in got["calibration_note"]


def test_a_set_too_small_to_hold_half_out_has_no_temperature():
    got = summary([0.9, 0.2, 0.7, 0.4, 0.3], [1, 0, 1, 0, 0], samples=50)
    assert got["temperature"] is None and "at least 4 items of each class" in got["calibration_note"]
    assert got["brier"] is not None
