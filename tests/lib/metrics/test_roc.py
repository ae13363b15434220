import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, roc_curve

from lib.metrics.roc import (
    curve_payload, operating_point, point_on_curve, ppv_npv_at_prevalence, roc, threshold_for_sensitivity,
    threshold_for_specificity, vertex_index, youden_index,
)

SCORES = np.array([0.1, 0.4, 0.35, 0.8, 0.7, 0.2])
LABELS = np.array([0, 0, 1, 1, 1, 0])


def test_hand_computed_point():
    point = operating_point(SCORES, LABELS, 0.35)
    # positive: 0.4 (neg), 0.35 (pos), 0.8 (pos), 0.7 (pos) -> TP 3, FP 1, TN 2, FN 0
    assert (point.tp, point.fp, point.tn, point.fn) == (3, 1, 2, 0)
    assert point.sensitivity == 1.0 and point.specificity == pytest.approx(2 / 3)
    assert point.ppv == 0.75 and point.npv == 1.0 and point.accuracy == pytest.approx(5 / 6)
    assert point.prevalence == 0.5


def test_prevalence_changes_ppv_not_sensitivity():
    point = operating_point(SCORES, LABELS, 0.35, prevalence=0.2)
    ppv, npv = ppv_npv_at_prevalence(1.0, 2 / 3, 0.2)
    assert point.ppv_at_prevalence == pytest.approx(ppv) == pytest.approx(0.2 / (0.2 + (1 / 3) * 0.8))
    assert point.npv_at_prevalence == pytest.approx(npv) == 1.0
    assert ppv_npv_at_prevalence(0.9, 0.8, 0.2) == pytest.approx((0.18 / 0.34, 0.64 / 0.66))


def test_curve_agrees_with_scikit_learn_at_every_vertex():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    scores = np.round(rng.random(400) * 0.6 + labels * 0.3, 2)  # ties included
    curve = roc(scores, labels)
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(curve.fpr, fpr)
    np.testing.assert_allclose(curve.tpr, tpr)
    np.testing.assert_allclose(curve.thresholds[1:], thresholds[1:])
    assert curve.thresholds[0] > scores.max() and np.isfinite(curve.thresholds[0])
    for t in list(thresholds[1:]) + [0.0, 0.5, 0.555, 1.0]:
        direct = operating_point(scores, labels, t)
        tn, fp, fn, tp = confusion_matrix(labels, scores >= t, labels=[0, 1]).ravel()
        assert (direct.tp, direct.fp, direct.tn, direct.fn) == (tp, fp, tn, fn)
        np.testing.assert_equal(point_on_curve(curve, t).to_dict(), direct.to_dict())  # NaN == NaN here


def test_marked_points():
    curve = roc(SCORES, LABELS)
    j = youden_index(curve)
    assert curve.tpr[j] - curve.fpr[j] == pytest.approx(max(curve.tpr - curve.fpr))
    assert operating_point(SCORES, LABELS, threshold_for_sensitivity(curve, 1.0)).sensitivity == 1.0
    high_spec = threshold_for_specificity(curve, 1.0)
    assert operating_point(SCORES, LABELS, high_spec).specificity == 1.0
    assert vertex_index(curve, 10.0) == 0 and vertex_index(curve, -1.0) == len(curve.thresholds) - 1


def test_payload_is_json_and_consistent():
    import json

    curve = roc(SCORES, LABELS)
    payload = curve_payload(curve, threshold=0.35, prevalence=0.2)
    json.dumps(payload, allow_nan=False)
    assert payload["nPos"] == 3 and payload["nNeg"] == 3 and len(payload["fpr"]) == len(payload["thr"])


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="both classes"):
        roc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="same length"):
        roc([0.1, 0.2], [1])
    with pytest.raises(ValueError, match="NaN"):
        operating_point([np.nan, 0.2], [0, 1], 0.5)


def test_pairs_drawn_at_random_converge_to_scikit_learns_auc():
    """The AUC as a probability: over many random (referable, non-referable) pairs the share won by the referable
    photo (ties half) approaches roc_auc_score, which computes the AUC another way (the trapezoids under the curve)."""
    from sklearn.metrics import roc_auc_score

    from lib.metrics.roc import draw_pairs

    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300)
    scores = np.round(np.clip(rng.normal(0.4 + 0.25 * labels, 0.2), 0, 1), 2)  # rounded: ties happen
    draws = draw_pairs(scores, labels, 40_000, seed=1)
    assert abs(draws.win.mean() - roc_auc_score(labels, scores)) < 0.01
    assert set(np.unique(draws.win)) == {0.0, 0.5, 1.0}
    assert (labels[draws.positive] == 1).all() and (labels[draws.negative] == 0).all()
    again = draw_pairs(scores, labels, 40_000, seed=1)
    np.testing.assert_array_equal(draws.positive, again.positive)  # the seed decides
    fewer = draw_pairs(scores, labels, 100, seed=1)  # drawing more keeps the pairs drawn so far
    np.testing.assert_array_equal(fewer.negative, draws.negative[:100])
    assert draws.running_share[99] == pytest.approx(fewer.win.mean())
    with pytest.raises(ValueError, match="both classes"):
        draw_pairs([0.1, 0.2], [1, 1], 3, seed=0)
