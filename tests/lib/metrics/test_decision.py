import numpy as np
import pytest

from lib.metrics.decision import decision_curve, net_benefit, net_benefit_refer_all, threshold_grid

# Four photos: scores 0.9 (referable), 0.6 (not), 0.4 (referable), 0.2 (not); n = 4, prevalence 0.5.
SCORES, LABELS = [0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0]
# By hand: net benefit = TP/n - FP/n * pt / (1 - pt), referring every photo scored >= pt.
HAND = {
    0.1: 2 / 4 - 2 / 4 * (0.1 / 0.9),  # all four referred: TP 2, FP 2
    0.3: 2 / 4 - 1 / 4 * (0.3 / 0.7),  # 0.9, 0.6, 0.4: TP 2, FP 1
    0.5: 1 / 4 - 1 / 4 * (0.5 / 0.5),  # 0.9, 0.6: TP 1, FP 1 -> 0
    0.8: 1 / 4 - 0 / 4,                # 0.9 alone: TP 1
    0.95: 0.0,                         # nobody referred
}
HAND_ALL = {pt: 0.5 - 0.5 * pt / (1 - pt) for pt in HAND}


def test_net_benefit_of_the_model_by_hand():
    pts = list(HAND)
    np.testing.assert_allclose(net_benefit(SCORES, LABELS, pts), list(HAND.values()))
    assert net_benefit(SCORES, LABELS, 0.3) == pytest.approx(0.5 - 0.25 * 3 / 7)  # a scalar in, a scalar out


def test_refer_all_and_refer_none_by_hand():
    pts = list(HAND)
    np.testing.assert_allclose(net_benefit_refer_all(LABELS, pts), list(HAND_ALL.values()))
    curve = decision_curve(SCORES, LABELS, thresholds=pts)
    np.testing.assert_allclose(curve.model, list(HAND.values()))
    np.testing.assert_allclose(curve.refer_all, list(HAND_ALL.values()))
    assert curve.refer_none.tolist() == [0.0] * 5
    assert curve.thresholds.tolist() == pts


def test_the_model_equals_refer_all_below_every_score_and_refer_none_above():
    curve = decision_curve(SCORES, LABELS, thresholds=[0.05, 0.15, 0.91, 0.99])
    assert curve.model[:2] == pytest.approx(curve.refer_all[:2])
    assert curve.model[2:].tolist() == [0.0, 0.0]


def test_a_perfect_model_gets_the_prevalence_at_every_threshold():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    scores = np.where(labels == 1, 0.99, 0.01)
    np.testing.assert_allclose(net_benefit(scores, labels, threshold_grid(0.05, 0.95, 19)), labels.mean())


def test_threshold_grid():
    np.testing.assert_allclose(threshold_grid(0.1, 0.3, 3), [0.1, 0.2, 0.3])


@pytest.mark.parametrize("call, message", [
    (lambda: net_benefit(SCORES, LABELS, [0.0, 0.5]), "threshold probabilities must be strictly between 0 and 1"),
    (lambda: net_benefit(SCORES, LABELS, [1.0]), "strictly between 0 and 1"),
    (lambda: threshold_grid(0.5, 0.2, 5), "low .* below high"),
    (lambda: threshold_grid(0.1, 0.5, 1), "at least 2"),
    (lambda: net_benefit([0.2, 2.0], [0, 1], 0.5), r"probabilities in \[0, 1\]"),
])
def test_bad_inputs_name_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()
