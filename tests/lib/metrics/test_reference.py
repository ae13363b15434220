"""The metrics against references the project did not write: scikit-learn, hand-computed MONAI-convention cases,
and DeLong's AUC interval (``tests/helpers/delong.py``, written independently of ``lib.metrics``)."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import (
    average_precision_score, confusion_matrix, f1_score, jaccard_score, precision_recall_curve, precision_score,
    recall_score, roc_auc_score,
)

from lib.metrics.roc import operating_point, point_on_curve, precision_recall, roc
from lib.metrics.segmentation import dice, iou, overlap_metrics, per_item_scores
from lib.metrics.uncertainty import Bootstrap
from tests.helpers.delong import binormal_test_set, delong_interval


def _scores(seed, n=300, ties=True):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = rng.random(n) * 0.7 + labels * 0.3
    return (np.round(scores, 2) if ties else scores), labels


@pytest.mark.parametrize("seed", range(5))
def test_auc_and_every_operating_point_agree_with_scikit_learn(seed):
    scores, labels = _scores(seed)
    curve = roc(scores, labels)
    assert curve.auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-15)
    for t in np.unique(scores)[::7]:
        point = operating_point(scores, labels, t)
        predicted = (scores >= t).astype(int)
        tn, fp, fn, tp = confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
        assert (point.tp, point.fp, point.tn, point.fn) == (tp, fp, tn, fn)
        assert point.sensitivity == pytest.approx(recall_score(labels, predicted))
        assert point.specificity == pytest.approx(recall_score(labels, predicted, pos_label=0))
        assert point.ppv == pytest.approx(precision_score(labels, predicted, zero_division=np.nan), nan_ok=True)


@pytest.mark.parametrize("seed", range(3))
def test_precision_recall_agrees_with_scikit_learn(seed):
    """At the test set's own prevalence, the precision of each ROC vertex is scikit-learn's precision at that threshold."""
    scores, labels = _scores(seed)
    curve = roc(scores, labels)
    precision, recall = precision_recall(curve.tpr, curve.fpr, labels.mean())
    sk_precision, sk_recall, sk_thresholds = precision_recall_curve(labels, scores)
    for p, r, t in zip(sk_precision[:-1], sk_recall[:-1], sk_thresholds):
        index = int(np.flatnonzero(curve.thresholds == t)[0])
        assert precision[index] == pytest.approx(p) and recall[index] == pytest.approx(r)
        assert point_on_curve(curve, t).ppv == pytest.approx(p)
    # average precision from our vertices, as scikit-learn sums it (steps in recall times precision)
    ap = float(np.sum(np.diff(recall) * precision[1:]))
    assert ap == pytest.approx(average_precision_score(labels, scores))


@pytest.mark.parametrize("seed", range(4))
def test_iou_and_dice_agree_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    truth = (rng.random((6, 16, 16)) < 0.3).astype(np.uint8)
    probs = np.clip(truth * 0.6 + rng.random((6, 16, 16)) * 0.5, 0, 1)
    predicted = (probs >= 0.5).astype(int)
    assert iou(probs, truth) == pytest.approx(jaccard_score(truth.ravel(), predicted.ravel()))
    assert dice(probs, truth) == pytest.approx(f1_score(truth.ravel(), predicted.ravel()))
    scores = per_item_scores(probs, truth)
    for i in range(6):
        assert scores["iou"][i] == pytest.approx(jaccard_score(truth[i].ravel(), predicted[i].ravel()))
        assert scores["dice"][i] == pytest.approx(f1_score(truth[i].ravel(), predicted[i].ravel()))
    summary = overlap_metrics(probs, truth)
    assert summary["mean_slice_iou"] == pytest.approx(np.mean([jaccard_score(truth[i].ravel(), predicted[i].ravel())
                                                              for i in range(6)]))
    assert summary["pooled_iou"] == pytest.approx(jaccard_score(truth.ravel(), predicted.ravel()))


def test_empty_masks_follow_monai_with_ignore_empty_false():
    """MONAI's compute_iou / compute_dice with ignore_empty=False: both empty is a perfect 1, one empty is 0.
    Hand-computed: a 2x2 slice."""
    empty, one = np.zeros((2, 2)), np.array([[1, 0], [0, 0]])
    assert iou(empty, empty) == 1.0 and dice(empty, empty) == 1.0
    assert iou(one, empty) == 0.0 and iou(empty, one) == 0.0 and dice(one, empty) == 0.0
    assert np.isnan(iou(empty, empty, empty_score=float("nan")))  # MONAI's ignore_empty=True, for a both-empty slice
    stack = per_item_scores(np.stack([empty, one, one]), np.stack([empty, empty, one]))
    assert stack["iou"].tolist() == [1.0, 0.0, 1.0] and stack["dice"].tolist() == [1.0, 0.0, 1.0]
    # the two summaries differ by design: per slice the empty slice counts 1.0, pooled it adds nothing
    summary = overlap_metrics(np.stack([empty, one, one]), np.stack([empty, empty, one]))
    assert summary["mean_slice_iou"] == pytest.approx(2 / 3) and summary["pooled_iou"] == pytest.approx(1 / 2)


def test_delong_reference_on_a_hand_case():
    """The reference itself, on four scores: psi = [[1, 1], [1, 0]] -> AUC 0.75."""
    auc, low, high = delong_interval([0.9, 0.6, 0.7, 0.1], [1, 1, 0, 0])
    assert auc == 0.75 and low < auc < high


def test_the_bootstrap_auc_interval_matches_delongs():
    """Over simulated binormal test sets (n = 80 and 400, AUC 0.85), the bootstrap's interval has about DeLong's
    width, and both cover the true AUC about 95 % of the time (``bench/coverage.py`` prints the full table)."""
    for n in (80, 400):
        widths, covered_boot, covered_delong = [], 0, 0
        reps = 60
        for seed in range(reps):
            rng = np.random.default_rng(seed)
            scores, labels = binormal_test_set(0.85, n, rng)
            boot = Bootstrap(scores, labels, samples=500, seed=seed).auc()
            auc, low, high = delong_interval(scores, labels)
            assert boot.value == pytest.approx(auc, abs=1e-12)
            widths.append((boot.high - boot.low) / (high - low))
            covered_boot += boot.low <= 0.85 <= boot.high
            covered_delong += low <= 0.85 <= high
        assert 0.85 <= np.median(widths) <= 1.15, f"n={n}: bootstrap/DeLong width ratio {np.median(widths):.2f}"
        assert covered_boot >= 0.85 * reps and covered_delong >= 0.85 * reps, (n, covered_boot, covered_delong)
    assert norm.cdf(np.sqrt(2) * norm.ppf(0.85) / np.sqrt(2)) == pytest.approx(0.85)  # the simulation's true AUC
