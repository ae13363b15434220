import numpy as np
import pytest
from scipy.special import expit, logit
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from lib.metrics.calibration import (apply_temperature, brier_score, calibrate, expected_calibration_error,
                                     fit_temperature, held_out_half, reliability)


def _calibrated(n, seed, spread=2.0):
    """Labels drawn with exactly the probability the score states: calibrated by construction."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, spread, n)
    return expit(z), (rng.random(n) < expit(z)).astype(int), z


def test_brier_score_matches_scikit_learn():
    rng = np.random.default_rng(0)
    scores, labels = rng.random(200), rng.integers(0, 2, 200)
    assert brier_score(scores, labels) == pytest.approx(brier_score_loss(labels, scores))
    assert brier_score([1.0, 0.0, 0.5], [1, 0, 1]) == pytest.approx(0.25 / 3)  # by hand


@pytest.mark.parametrize("bins", [3, 10])
def test_reliability_matches_scikit_learns_quantile_calibration_curve(bins):
    rng = np.random.default_rng(1)
    scores, labels = rng.random(157) ** 2, rng.integers(0, 2, 157)
    curve = reliability(scores, labels, bins=bins)
    observed, predicted = calibration_curve(labels, scores, n_bins=bins, strategy="quantile")
    np.testing.assert_allclose(curve.observed, observed)
    np.testing.assert_allclose(curve.mean_score, predicted)
    assert curve.counts.sum() == 157 and len(curve.counts) == bins
    assert curve.counts.max() - curve.counts.min() <= 1  # equal-count bins (no ties here)


def test_reliability_bins_counted_by_hand_and_ties_drop_empty_bins():
    curve = reliability([0.1, 0.2, 0.3, 0.4, 0.6, 0.8], [0, 0, 1, 0, 1, 1], bins=3)
    assert curve.counts.tolist() == [2, 2, 2]
    np.testing.assert_allclose(curve.mean_score, [0.15, 0.35, 0.7])
    np.testing.assert_allclose(curve.observed, [0.0, 0.5, 1.0])
    tied = reliability([0.5] * 6 + [0.9, 0.9], [0, 1, 0, 1, 0, 1, 1, 1], bins=4)
    assert tied.counts.sum() == 8 and (tied.counts > 0).all()


def test_ece_by_hand():
    # bins of [0.1, 0.2] (none positive: gap 0.15) and [0.3, 0.4] (one of two: gap 0.15): ECE 0.15
    assert expected_calibration_error([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 0], bins=2) == pytest.approx(0.15)


def test_a_set_calibrated_by_construction_has_ece_near_zero_and_temperature_near_one():
    scores, labels, _ = _calibrated(20000, seed=2)
    assert expected_calibration_error(scores, labels) < 0.02
    assert fit_temperature(scores, labels) == pytest.approx(1.0, rel=0.05)


@pytest.mark.parametrize("temperature", [0.5, 2.0, 3.0])
def test_a_known_temperature_is_found_within_five_percent(temperature):
    _, labels, z = _calibrated(20000, seed=3, spread=1.5)
    distorted = expit(z * temperature)  # logit / T recovers z: over-confident for T > 1, under for T < 1
    found = fit_temperature(distorted, labels)
    assert found == pytest.approx(temperature, rel=0.05)
    fixed = apply_temperature(distorted, found)
    assert expected_calibration_error(fixed, labels) < expected_calibration_error(distorted, labels)
    assert log_loss(labels, fixed) < log_loss(labels, distorted)
    assert roc_auc_score(labels, fixed) == pytest.approx(roc_auc_score(labels, distorted))  # a monotone map


def test_fit_temperature_minimises_log_loss():
    scores, labels, _ = _calibrated(500, seed=4)
    scores = expit(logit(scores) * 1.7)
    best = fit_temperature(scores, labels)
    loss = log_loss(labels, apply_temperature(scores, best))
    for other in (best * 0.9, best * 1.1):
        assert loss <= log_loss(labels, apply_temperature(scores, other))


def test_apply_temperature_by_hand_and_leaves_its_input_alone():
    scores = np.array([0.5, expit(2.0), expit(-4.0)])
    before = scores.copy()
    np.testing.assert_allclose(apply_temperature(scores, 2.0), [0.5, expit(1.0), expit(-2.0)])
    np.testing.assert_array_equal(scores, before)
    assert apply_temperature([0.0, 1.0], 2.0).tolist() == [0.0, 1.0]  # certain stays certain


def test_held_out_half_is_stratified_seeded_and_disjoint():
    labels = np.r_[np.zeros(30, int), np.ones(11, int)]
    fit, held = held_out_half(labels, seed=5)
    assert sorted(np.r_[fit, held].tolist()) == list(range(41))
    assert labels[fit].sum() in (5, 6) and len(fit) in (20, 21)
    assert np.array_equal(held_out_half(labels, seed=5)[0], fit)
    assert not np.array_equal(held_out_half(labels, seed=6)[0], fit)


def test_calibrate_on_a_held_out_half_says_so_and_keeps_the_auc():
    _, labels, z = _calibrated(2000, seed=7)
    scores = expit(z * 2.5)
    result = calibrate(scores, labels, seed=0)
    assert result.fitted_on == "held-out half"
    assert result.n_fit + result.n_evaluated == 2000
    assert result.temperature == pytest.approx(2.5, rel=0.15)
    assert result.after.ece < result.before.ece and result.after.brier < result.before.brier
    fit, held = held_out_half(labels, seed=0)
    assert result.before.brier == pytest.approx(brier_score_loss(labels[held], scores[held]))
    assert result.before.auc == pytest.approx(result.after.auc)


def test_calibrate_on_a_separate_fitting_set():
    _, labels, z = _calibrated(1000, seed=8)
    _, fit_labels, fit_z = _calibrated(1000, seed=9)
    result = calibrate(expit(2 * z), labels, fit_scores=expit(2 * fit_z), fit_labels=fit_labels)
    assert result.fitted_on == "validation set" and result.n_evaluated == 1000 and result.n_fit == 1000
    assert result.before.brier == pytest.approx(brier_score_loss(labels, expit(2 * z)))


@pytest.mark.parametrize("call, message", [
    (lambda: brier_score([0.2, 1.5], [0, 1]), "scores must be probabilities in [0, 1]"),
    (lambda: reliability([0.2, 0.3], [0, 1], bins=0), "bins must be a whole number of at least 1"),
    (lambda: fit_temperature([0.2, 0.3], [1, 1]), "both classes"),
    (lambda: apply_temperature([0.2], 0.0), "temperature must be a number > 0"),
    (lambda: brier_score([0.2, float("nan")], [0, 1]), "NaN"),
])
def test_bad_inputs_name_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()
