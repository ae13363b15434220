"""Costs on the ROC, checked against a hand computation on a four-photo test set."""

import math

import numpy as np
import pytest

from lib.metrics.cost import expected_cost, iso_cost_slope, lowest_cost_index, per_thousand
from lib.metrics.roc import roc

# two referable photos (scores 0.9, 0.4), two not (0.6, 0.1). By hand, the ROC's vertices (fpr, tpr):
# nobody referred (0, 0); >= 0.9 (0, .5); >= 0.6 (.5, .5); >= 0.4 (.5, 1); >= 0.1 (1, 1).
SCORES, LABELS = [0.9, 0.4, 0.6, 0.1], [1, 1, 0, 0]


def test_the_expected_cost_and_the_cheapest_point_match_a_hand_computation():
    curve = roc(SCORES, LABELS)
    assert list(zip(curve.fpr, curve.tpr)) == [(0, 0), (0, 0.5), (0.5, 0.5), (0.5, 1), (1, 1)]
    # prevalence 0.2, a miss costs 10, a needless referral 1: cost = 0.2 (1 - tpr) 10 + 0.8 fpr
    by_hand = [2.0, 1.0, 1.4, 0.4, 0.8]
    costs = expected_cost(curve.tpr, 1 - curve.fpr, prevalence=0.2, missed=10, unneeded=1)
    np.testing.assert_allclose(costs, by_hand)
    assert lowest_cost_index(curve, prevalence=0.2, missed=10, unneeded=1) == 3
    assert curve.thresholds[3] == pytest.approx(0.4) and per_thousand(by_hand[3]) == "400.0"
    # misses cheap, false alarms dear: by hand 0.2, 0.1, 4.1, 4.0, 8.0: the strictest threshold with a hit wins
    np.testing.assert_allclose(expected_cost(curve.tpr, 1 - curve.fpr, prevalence=0.2, missed=1, unneeded=10),
                               [0.2, 0.1, 4.1, 4.0, 8.0])
    assert lowest_cost_index(curve, prevalence=0.2, missed=1, unneeded=10) == 1


def test_the_iso_cost_line_holds_every_point_of_equal_cost():
    slope = iso_cost_slope(prevalence=0.2, missed=10, unneeded=1)
    assert slope == pytest.approx(0.8 * 1 / (0.2 * 10))
    # along the line through (0.5, 1) the cost stays 0.4
    for x in (0.0, 0.25, 0.5):
        y = 1 + slope * (x - 0.5)
        assert expected_cost(y, 1 - x, prevalence=0.2, missed=10, unneeded=1) == pytest.approx(0.4)
    assert iso_cost_slope(prevalence=0.2, missed=0, unneeded=1) == math.inf
    assert iso_cost_slope(prevalence=0.2, missed=1, unneeded=0) == 0


@pytest.mark.parametrize("kwargs, named", [
    ({"prevalence": 0, "missed": 1, "unneeded": 1}, "prevalence"),
    ({"prevalence": 1.2, "missed": 1, "unneeded": 1}, "prevalence"),
    ({"prevalence": 0.2, "missed": -1, "unneeded": 1}, "missed"),
    ({"prevalence": 0.2, "missed": float("nan"), "unneeded": 1}, "missed"),
    ({"prevalence": 0.2, "missed": 1, "unneeded": "a lot"}, "unneeded"),
    ({"prevalence": 0.2, "missed": 0, "unneeded": 0}, "both 0"),
])
def test_nonsense_costs_are_refused_by_name(kwargs, named):
    with pytest.raises(ValueError, match=named):
        iso_cost_slope(**kwargs)
