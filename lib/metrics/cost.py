"""What a screening test's errors cost: expected cost of an operating point, iso-cost lines, the cheapest point.

A missed referral (a false negative) costs ``missed``, an unnecessary one (a false positive) ``unneeded``, in any
one unit (money, specialist minutes, or "1 = an unnecessary referral"). Screening a population with ``prevalence``
referable, an operating point with sensitivity ``se`` and specificity ``sp`` costs on average, per person screened::

    prevalence * (1 - se) * missed  +  (1 - prevalence) * (1 - sp) * unneeded

In ROC space (x = 1 - sp, y = se) the points of equal cost lie on a line of slope
``(1 - prevalence) * unneeded / (prevalence * missed)``: the iso-cost line. The cheapest vertex of a ROC curve is
where the highest such line touches it.
"""

from __future__ import annotations

import math

import numpy as np

from lib.metrics.roc import RocCurve


def _cost(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number >= 0, got {value!r:.40}") from None
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be a number >= 0, got {value!r:.40}")
    return number


def check_prevalence(prevalence) -> float:
    """``prevalence`` as a float strictly between 0 and 1; ValueError naming it otherwise."""
    try:
        p = float(prevalence)
    except (TypeError, ValueError):
        raise ValueError(f"prevalence must be a number between 0 and 1 (both excluded), got {prevalence!r:.40}") from None
    if not 0.0 < p < 1.0:
        raise ValueError(f"prevalence must be a number between 0 and 1 (both excluded), got {prevalence!r:.40}")
    return p


def check_costs(missed, unneeded) -> tuple[float, float]:
    """The two costs as floats >= 0, not both 0; ValueError naming the one that is not."""
    missed, unneeded = _cost(missed, "missed"), _cost(unneeded, "unneeded")
    if missed == 0 and unneeded == 0:
        raise ValueError("missed and unneeded are both 0: with errors that cost nothing, every threshold is as good")
    return missed, unneeded


def _check(prevalence, missed, unneeded) -> tuple[float, float, float]:
    return (check_prevalence(prevalence), *check_costs(missed, unneeded))


def expected_cost(sensitivity, specificity, *, prevalence: float, missed: float, unneeded: float) -> np.ndarray:
    """Expected cost per person screened (arrays broadcast).

    Examples
    --------
    >>> round(float(expected_cost(0.9, 0.8, prevalence=0.2, missed=10, unneeded=1)), 6)
    0.36
    """
    p, missed, unneeded = _check(prevalence, missed, unneeded)
    se, sp = np.asarray(sensitivity, float), np.asarray(specificity, float)
    return p * (1 - se) * missed + (1 - p) * (1 - sp) * unneeded


def iso_cost_slope(*, prevalence: float, missed: float, unneeded: float) -> float:
    """The slope (d sensitivity / d false positive rate) of the lines of equal expected cost; ``inf`` when a miss
    costs nothing (only false alarms count: the lines are vertical).

    Examples
    --------
    >>> iso_cost_slope(prevalence=0.2, missed=10, unneeded=1)
    0.4
    """
    p, missed, unneeded = _check(prevalence, missed, unneeded)
    return math.inf if missed == 0 else (1 - p) * unneeded / (p * missed)


def lowest_cost_index(curve: RocCurve, *, prevalence: float, missed: float, unneeded: float) -> int:
    """The ROC vertex with the lowest expected cost (of equal ones, the first: the higher threshold)."""
    costs = expected_cost(curve.tpr, 1 - curve.fpr, prevalence=prevalence, missed=missed, unneeded=unneeded)
    return int(np.argmin(costs))


def per_thousand(cost_per_person: float) -> str:
    """``"362.5"``: a cost per 1,000 people screened, as the pages write it.

    Examples
    --------
    >>> per_thousand(0.3625), per_thousand(12.3456)
    ('362.5', '12,345.6')
    """
    return f"{1000 * float(cost_per_person):,.1f}"
