import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from lib.metrics.roc import operating_point
from lib.metrics.uncertainty import Bootstrap


def test_the_auc_interval_covers_the_true_auc_in_most_test_sets():
    shift = 1.5
    true_auc = norm.cdf(shift / np.sqrt(2))  # two unit normals shift apart
    covered = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        scores = np.concatenate([rng.normal(shift, 1, 40), rng.normal(0, 1, 40)])
        labels = np.r_[np.ones(40), np.zeros(40)]
        interval = Bootstrap(scores, labels, samples=1000, seed=seed).auc()
        assert interval.value == pytest.approx(roc_auc_score(labels, scores))
        assert interval.low < interval.value < interval.high and interval.high - interval.low > 0.05
        covered += interval.low <= true_auc <= interval.high
    assert covered >= 33, f"a 95 % interval covered the true AUC in only {covered} of 40 test sets"


def test_a_perfect_classifier_has_an_exact_interval():
    b = Bootstrap(np.r_[np.linspace(0.6, 1, 30), np.linspace(0, 0.4, 50)], np.r_[np.ones(30), np.zeros(50)], seed=3)
    assert (b.auc().low, b.auc().high) == (1.0, 1.0)
    assert (b.sensitivity(0.5).low, b.specificity(0.5).low) == (1.0, 1.0)


def test_rates_agree_with_the_operating_point_and_depend_on_the_seed_only():
    rng = np.random.default_rng(0)
    scores, labels = rng.random(300), rng.integers(0, 2, 300)
    scores = np.clip(scores + 0.3 * labels, 0, 1)
    point = operating_point(scores, labels, 0.6)
    b = Bootstrap(scores, labels, seed=1)
    assert b.sensitivity(0.6).value == pytest.approx(point.sensitivity)
    assert b.specificity(0.6).value == pytest.approx(point.specificity)
    assert Bootstrap(scores, labels, seed=1).sensitivity(0.6) == b.sensitivity(0.6)
    assert Bootstrap(scores, labels, seed=2).auc() != b.auc()  # (rates are discrete: their percentiles may coincide)


def test_one_class_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="both classes"):
        Bootstrap([0.2, 0.3], [1, 1])
