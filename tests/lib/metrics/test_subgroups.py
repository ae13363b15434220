import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from lib.metrics.subgroups import subgroups, youden_threshold


def _two_sites(seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 400)
    groups = np.where(np.arange(400) % 4 == 0, "site B", "site A")
    shift = np.where(groups == "site A", 2.0, 0.7)  # the model separates site B's items less well
    scores = 1 / (1 + np.exp(-(labels * shift + rng.normal(0, 1, 400) - shift / 2)))
    return scores, labels, groups


def test_each_group_matches_scikit_learn_at_one_shared_threshold():
    scores, labels, groups = _two_sites()
    rows = subgroups(scores, labels, groups, threshold=0.5, samples=200, seed=1)
    assert [r.name for r in rows] == ["site A", "site B"]
    for row in rows:
        mine = groups == row.name
        s, y = scores[mine], labels[mine]
        assert (row.n, row.n_pos, row.n_neg) == (mine.sum(), y.sum(), (1 - y).sum())
        assert row.auc.value == pytest.approx(roc_auc_score(y, s))
        assert row.auc.low < row.auc.value < row.auc.high
        assert row.sensitivity.value == pytest.approx(np.mean(s[y == 1] >= 0.5))
        assert row.specificity.value == pytest.approx(np.mean(s[y == 0] < 0.5))
        fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
        np.testing.assert_allclose(row.curve.fpr, fpr)
        np.testing.assert_allclose(row.curve.tpr, tpr)
    assert rows[0].auc.value > rows[1].auc.value + 0.1


def test_a_group_with_one_class_has_no_auc_but_keeps_its_rate():
    rows = subgroups([0.9, 0.2, 0.7, 0.6, 0.1], [1, 0, 1, 1, 0], ["a", "a", "b", "b", "a"], threshold=0.65)
    b = {r.name: r for r in rows}["b"]
    assert b.auc is None and b.curve is None and b.specificity is None
    assert b.sensitivity.value == pytest.approx(0.5) and b.n_neg == 0
    assert "only one class" in b.note
    assert {r.name: r for r in rows}["a"].auc.value == 1.0


def test_youden_threshold_maximises_j_by_hand():
    # thresholds 0.8: se 1/2 sp 1; 0.6: se 1 sp 1/2 ... 0.7 gives J = 1/2 + 1 - 1
    scores, labels = [0.8, 0.7, 0.6, 0.3], [1, 0, 1, 0]
    fpr, tpr, thr = roc_curve(labels, scores)
    assert youden_threshold(scores, labels) == pytest.approx(thr[1:][np.argmax((tpr - fpr)[1:])])
    assert youden_threshold([0.1, 0.9], [0, 1]) == 0.9


def test_groups_must_match_the_scores():
    with pytest.raises(ValueError, match="groups should have the same length as scores, got 2 and 3"):
        subgroups([0.1, 0.5, 0.9], [0, 1, 1], ["a", "b"], threshold=0.5)
