"""Decision curve analysis: is acting on the model better than referring everyone, or no one?

Vickers and Elkin (2006); Vickers, van Calster and Steyerberg (2019, "A simple, step-by-step guide to interpreting
decision curve analysis"). A person who would accept a referral once their probability of disease reaches ``pt`` (the
*threshold probability*) values a missed case and an unneeded referral in the ratio (1 - pt) : pt: ``pt / (1 - pt)``
is the cost of an unneeded referral over the cost of a missed one (``pt = unneeded / (unneeded + missed)``). Referring
everyone scored ``>= pt``, the model's net benefit, in true positives per person screened, is::

    net benefit = TP / n - FP / n * pt / (1 - pt)

"Refer everyone" gets ``prevalence - (1 - prevalence) * pt / (1 - pt)``, "refer no one" gets 0. Scores must be
probabilities (a decision curve reads a score as the probability it claims to be): use calibrated ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.metrics.calibration import check_probabilities
from lib.metrics.roc import check_scores_and_labels


def _thresholds(values) -> np.ndarray:
    pts = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if pts.ndim != 1 or pts.size == 0:
        raise ValueError("give at least one threshold probability")
    if not (np.isfinite(pts).all() and (pts > 0).all() and (pts < 1).all()):
        bad = pts[~(np.isfinite(pts) & (pts > 0) & (pts < 1))][0]
        raise ValueError(f"threshold probabilities must be strictly between 0 and 1, got {bad}")
    return pts


def threshold_grid(low: float = 0.01, high: float = 0.5, points: int = 50) -> np.ndarray:
    """``points`` evenly spaced threshold probabilities from ``low`` to ``high`` (both in (0, 1), low < high).

    Examples
    --------
    >>> threshold_grid(0.1, 0.3, 3).round(2).tolist()
    [0.1, 0.2, 0.3]
    """
    if not 0 < low < high < 1:
        raise ValueError(f"low must be below high, both strictly between 0 and 1, got low={low} and high={high}")
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 2:
        raise ValueError(f"points must be a whole number of at least 2, got {points!r:.40}")
    return np.linspace(low, high, int(points))


def net_benefit(scores, labels, thresholds):
    """The model's net benefit at each threshold probability, referring every item scored ``>= pt``.

    Parameters
    ----------
    scores : array-like of shape (n,), probabilities in [0, 1]
    labels : array-like of shape (n,), 0 / 1
    thresholds : float or array-like of shape (k,), each strictly between 0 and 1

    Returns
    -------
    ndarray (k,) float64, or a float for a single threshold; true positives per person, net of the false positives
    weighted by pt / (1 - pt); at most the prevalence.

    Raises
    ------
    ValueError
        As :func:`lib.metrics.calibration.check_probabilities`; a threshold outside (0, 1).

    Examples
    --------
    >>> round(net_benefit([0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0], 0.3), 4)  # TP 2, FP 1 of 4: 2/4 - 1/4 * 0.3/0.7
    0.3929
    """
    scalar = np.ndim(thresholds) == 0
    scores, labels = check_probabilities(scores, labels)
    pts = _thresholds(thresholds)
    # tp(pt), fp(pt) for every pt at once: counts of positive / negative scores >= pt from the sorted scores
    positive, negative = np.sort(scores[labels == 1]), np.sort(scores[labels == 0])
    tp = positive.size - np.searchsorted(positive, pts, side="left")
    fp = negative.size - np.searchsorted(negative, pts, side="left")
    n = scores.size
    benefit = tp / n - fp / n * pts / (1 - pts)
    return float(benefit[0]) if scalar else benefit


def net_benefit_refer_all(labels, thresholds):
    """Net benefit of referring everyone: ``prevalence - (1 - prevalence) * pt / (1 - pt)``, for each threshold.

    Examples
    --------
    >>> round(net_benefit_refer_all([1, 0, 1, 0], 0.3), 4)
    0.2857
    """
    scalar = np.ndim(thresholds) == 0
    labels = check_scores_and_labels(np.zeros(np.size(labels)), labels)[1]
    pts = _thresholds(thresholds)
    prevalence = labels.mean()
    benefit = prevalence - (1 - prevalence) * pts / (1 - pts)
    return float(benefit[0]) if scalar else benefit


@dataclass(frozen=True)
class DecisionCurve:
    """thresholds : (k,) threshold probabilities; model, refer_all, refer_none : (k,) net benefits."""

    thresholds: np.ndarray
    model: np.ndarray
    refer_all: np.ndarray
    refer_none: np.ndarray


def decision_curve(scores, labels, *, thresholds=None) -> DecisionCurve:
    """The model's, "refer all"'s and "refer none"'s net benefit over ``thresholds`` (default
    :func:`threshold_grid`'s 0.01 to 0.5).

    Raises
    ------
    ValueError
        As :func:`net_benefit`.
    """
    pts = _thresholds(threshold_grid() if thresholds is None else thresholds)
    return DecisionCurve(thresholds=pts, model=net_benefit(scores, labels, pts),
                         refer_all=net_benefit_refer_all(labels, pts), refer_none=np.zeros_like(pts))


def threshold_probability_of_costs(*, missed: float, unneeded: float) -> float:
    """The threshold probability at which referring is worth it when a missed case costs ``missed`` and an unneeded
    referral ``unneeded``: ``unneeded / (missed + unneeded)`` (its odds are the cost ratio).

    Examples
    --------
    >>> threshold_probability_of_costs(missed=9, unneeded=1)
    0.1
    """
    missed, unneeded = float(missed), float(unneeded)
    if not (missed >= 0 and unneeded >= 0 and missed + unneeded > 0):
        raise ValueError(f"the costs must be numbers >= 0, not both 0, got missed={missed} and unneeded={unneeded}")
    return unneeded / (missed + unneeded)
