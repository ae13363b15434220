"""Do the scores mean what they say? Reliability diagram, Brier score, expected calibration error, temperature scaling.

A score of 0.8 is *calibrated* when 80 % of the items scored 0.8 are positive. The PPV and NPV a page shows at a
prevalence assume it; modern neural networks are over-confident (Guo et al. 2017, "On Calibration of Modern Neural
Networks"), and temperature scaling, one number fitted on a validation set, is the simplest fix:
``calibrated = sigmoid(logit(score) / T)``. It is monotone, so it changes no ranking: the ROC curve and the AUC stay
exactly as they were, while the probabilities (and what a fixed threshold such as 0.5 refers) change.

Conventions: scores are probabilities in [0, 1], labels 0 / 1. The reliability diagram uses equal-count bins
(scikit-learn's ``calibration_curve(strategy="quantile")``: the edges are the score quantiles, empty bins left out),
and the expected calibration error is measured on the same bins: ECE = sum over bins of
(bin count / n) * |share positive - mean score|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit
from sklearn.metrics import roc_auc_score

from lib.metrics.roc import check_scores_and_labels, has_both_classes

DEFAULT_BINS = 10
# Temperatures searched (log-spaced); a fit at either end says the fitting set is (nearly) separable or all noise.
TEMPERATURE_RANGE = (0.01, 100.0)
_EPS = 1e-7  # scores of exactly 0 or 1 (a float32 sigmoid saturates) are moved this far inside for the logit


def check_probabilities(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`lib.metrics.roc.check_scores_and_labels`, and every score in [0, 1].

    Raises
    ------
    ValueError
        As ``check_scores_and_labels``; a score outside [0, 1], with the range found.
    """
    scores, labels = check_scores_and_labels(scores, labels)
    if scores.min() < 0 or scores.max() > 1:
        raise ValueError(f"scores must be probabilities in [0, 1] for calibration, got values from "
                         f"{scores.min():.4g} to {scores.max():.4g}")
    return scores, labels


def _check_bins(bins) -> int:
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a whole number of at least 1, got {bins!r:.40}")
    return int(bins)


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram: one entry per non-empty bin, in increasing score.

    mean_score : ndarray (k,), float, the mean score in each bin (x)
    observed : ndarray (k,), float, the share of positives in each bin (y)
    counts : ndarray (k,), int, the items in each bin (they sum to n)
    edges : ndarray (bins + 1,), float, the bin edges (score quantiles; repeated where scores tie)
    """

    mean_score: np.ndarray
    observed: np.ndarray
    counts: np.ndarray
    edges: np.ndarray


def reliability(scores, labels, *, bins: int = DEFAULT_BINS) -> Reliability:
    """The reliability diagram of ``scores`` on ``bins`` equal-count bins.

    Parameters
    ----------
    scores : array-like of shape (n,), probabilities in [0, 1]
    labels : array-like of shape (n,), 0 / 1
    bins : int >= 1, keyword-only; bins whose edges coincide (tied scores) are left out, so fewer may come back

    Returns
    -------
    Reliability, equal to scikit-learn's ``calibration_curve(labels, scores, n_bins=bins, strategy="quantile")`` and
    with the bin counts.

    Raises
    ------
    ValueError
        As :func:`check_probabilities`; ``bins`` below 1.

    Examples
    --------
    >>> r = reliability([0.1, 0.2, 0.3, 0.4, 0.6, 0.8], [0, 0, 1, 0, 1, 1], bins=3)
    >>> r.counts.tolist(), r.observed.tolist()
    ([2, 2, 2], [0.0, 0.5, 1.0])
    """
    scores, labels = check_probabilities(scores, labels)
    bins = _check_bins(bins)
    edges = np.percentile(scores, np.linspace(0, 1, bins + 1) * 100)  # scikit-learn's very arithmetic: an edge
    # that lands on a score (n - 1 a multiple of bins) must fall on the same side as there
    index = np.searchsorted(edges[1:-1], scores)  # as scikit-learn: a score on an inner edge goes to the lower bin
    totals = np.bincount(index, minlength=bins)
    sums = np.bincount(index, weights=scores, minlength=bins)
    positives = np.bincount(index, weights=labels, minlength=bins)
    kept = totals > 0
    return Reliability(mean_score=sums[kept] / totals[kept], observed=positives[kept] / totals[kept],
                       counts=totals[kept].astype(np.int64), edges=edges)


def expected_calibration_error(scores, labels, *, bins: int = DEFAULT_BINS) -> float:
    """Expected calibration error on the reliability diagram's equal-count bins: the count-weighted mean gap between
    the share of positives and the mean score, in [0, 1] (0: calibrated at this resolution).

    Raises
    ------
    ValueError
        As :func:`reliability`.

    Examples
    --------
    >>> round(expected_calibration_error([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 0], bins=2), 4)
    0.15
    """
    curve = reliability(scores, labels, bins=bins)
    return float(np.sum(curve.counts * np.abs(curve.observed - curve.mean_score)) / curve.counts.sum())


def brier_score(scores, labels) -> float:
    """Mean squared difference between score and outcome, in [0, 1] (0 is perfect; 0.25 is a constant 0.5).

    Raises
    ------
    ValueError
        As :func:`check_probabilities`.

    Examples
    --------
    >>> round(brier_score([1.0, 0.0, 0.5], [1, 0, 1]), 4)
    0.0833
    """
    scores, labels = check_probabilities(scores, labels)
    return float(np.mean((scores - labels) ** 2))


def _temperature(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"temperature must be a number > 0, got {value!r:.40}") from None
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"temperature must be a number > 0, got {value!r:.40}")
    return number


def _logit(scores: np.ndarray) -> np.ndarray:
    clipped = np.clip(scores, _EPS, 1 - _EPS)
    return np.log(clipped) - np.log1p(-clipped)


def apply_temperature(scores, temperature: float) -> np.ndarray:
    """``sigmoid(logit(scores) / temperature)``: a new array (n,) float64; 0 and 1 stay 0 and 1.

    T > 1 softens over-confident scores toward 0.5, T < 1 sharpens them; T = 1 changes nothing. The order of the scores
    never changes, so neither does the ROC curve.

    Raises
    ------
    ValueError
        Scores outside [0, 1] or NaN; a temperature that is not a finite number > 0.

    Examples
    --------
    >>> apply_temperature([0.5, 0.0, 1.0], 2.0).tolist()
    [0.5, 0.0, 1.0]
    """
    temperature = _temperature(temperature)
    scores = np.array(scores, dtype=np.float64, copy=True).ravel()
    if not np.isfinite(scores).all() or scores.min(initial=0) < 0 or scores.max(initial=0) > 1:
        raise ValueError("scores must be probabilities in [0, 1] (no NaN) for temperature scaling")
    out = expit(_logit(scores) / temperature)
    out[scores == 0], out[scores == 1] = 0.0, 1.0
    return out


def fit_temperature(scores, labels) -> float:
    """The temperature T minimising the log loss of ``sigmoid(logit(scores) / T)`` on this (fitting) set.

    Parameters
    ----------
    scores : array-like of shape (n,), probabilities in [0, 1]
    labels : array-like of shape (n,), 0 / 1 with both classes

    Returns
    -------
    float in :data:`TEMPERATURE_RANGE` (at an end when the set is separable, or its scores carry no information).

    Raises
    ------
    ValueError
        As :func:`check_probabilities`; only one class (any T > 0 would do).
    """
    scores, labels = check_probabilities(scores, labels)
    if not has_both_classes(labels):
        raise ValueError("fitting a temperature needs both classes in the fitting set")
    z = _logit(scores)

    def log_loss(log_t: float) -> float:
        scaled = z / np.exp(log_t)
        return float(np.mean(np.logaddexp(0.0, scaled) - labels * scaled))

    low, high = np.log(TEMPERATURE_RANGE)
    found = minimize_scalar(log_loss, bounds=(low, high), method="bounded", options={"xatol": 1e-5})
    return float(np.exp(found.x))


def held_out_half(labels, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded, stratified split of a set into the half a temperature is fitted on and the half it is judged on.

    Parameters
    ----------
    labels : array-like of shape (n,), 0 / 1
    seed : int, keyword-only

    Returns
    -------
    (fit, held) : sorted index arrays; ``fit`` takes the lower half (rounded down) of each class.

    Examples
    --------
    >>> [part.size for part in held_out_half([0, 0, 0, 0, 1, 1], seed=0)]
    [3, 3]
    """
    labels = np.asarray(labels).ravel()
    rng = np.random.default_rng(seed)
    fit = []
    for value in (0, 1):
        members = rng.permutation(np.flatnonzero(labels == value))
        fit.append(members[: members.size // 2])
    fit = np.sort(np.concatenate(fit)).astype(np.int64)
    held = np.setdiff1d(np.arange(labels.size), fit)
    return fit, held


@dataclass(frozen=True)
class CalibrationFigures:
    """One set of scores judged: Brier score, ECE, AUC (NaN with one class) and its reliability diagram."""

    brier: float
    ece: float
    auc: float
    reliability: Reliability


def _figures(scores: np.ndarray, labels: np.ndarray, bins: int) -> CalibrationFigures:
    auc = float(roc_auc_score(labels, scores)) if has_both_classes(labels) else float("nan")
    return CalibrationFigures(brier=brier_score(scores, labels), ece=expected_calibration_error(scores, labels, bins=bins),
                              auc=auc, reliability=reliability(scores, labels, bins=bins))


@dataclass(frozen=True)
class Calibration:
    """Temperature scaling fitted on one set and judged on another.

    temperature : the fitted T
    fitted_on : "validation set" (a separate fitting set was given) or "held-out half" (a seeded half of the scores)
    n_fit, n_evaluated : the items it was fitted on and judged on
    evaluated : ndarray (n_evaluated,), the indices of the judged items among the scores given
    scores_before, scores_after, labels : ndarrays (n_evaluated,), the judged items' scores and labels
    before, after : their figures without and with the temperature
    """

    temperature: float
    fitted_on: str
    n_fit: int
    n_evaluated: int
    evaluated: np.ndarray
    scores_before: np.ndarray
    scores_after: np.ndarray
    labels: np.ndarray
    before: CalibrationFigures
    after: CalibrationFigures

    def source(self) -> str:
        """Where the temperature comes from, in one phrase."""
        if self.fitted_on == "held-out half":
            return (f"fitted on a seeded, stratified held-out half of the scores ({self.n_fit} items); the figures are "
                    f"those of the other half ({self.n_evaluated} items)")
        return f"fitted on the validation set ({self.n_fit} items); the figures are the test set's ({self.n_evaluated})"


MIN_PER_CLASS_TO_SPLIT = 2  # a held-out half needs each class on both sides


def calibrate(scores, labels, *, fit_scores=None, fit_labels=None, bins: int = DEFAULT_BINS, seed: int = 0) -> Calibration:
    """Fit a temperature and judge the scores before and after it.

    Parameters
    ----------
    scores, labels : array-like of shape (n,): probabilities in [0, 1], 0 / 1
    fit_scores, fit_labels : array-like of shape (m,), keyword-only, optional
        A separate fitting set (a run's validation predictions). Without it the temperature is fitted on a seeded,
        stratified half of ``scores`` (:func:`held_out_half`) and judged on the other half.
    bins : int, keyword-only, the reliability diagram's bins
    seed : int, keyword-only, the held-out half's seed

    Raises
    ------
    ValueError
        As :func:`check_probabilities` (for either set); only one class in the fitting set; without a fitting set,
        fewer than :data:`MIN_PER_CLASS_TO_SPLIT` items of a class to put on each side.
    """
    scores, labels = check_probabilities(scores, labels)
    bins = _check_bins(bins)
    if (fit_scores is None) != (fit_labels is None):
        raise ValueError("give both fit_scores and fit_labels, or neither")
    if fit_scores is not None:
        fit_scores, fit_labels = check_probabilities(fit_scores, fit_labels)
        evaluated, fitted_on = np.arange(scores.size), "validation set"
    else:
        counts = np.bincount(labels, minlength=2)
        if counts.min() < 2 * MIN_PER_CLASS_TO_SPLIT:
            raise ValueError(f"fitting a temperature on a held-out half needs at least {2 * MIN_PER_CLASS_TO_SPLIT} "
                             f"items of each class, got {counts[1]} positive and {counts[0]} negative")
        fit, evaluated = held_out_half(labels, seed=seed)
        fit_scores, fit_labels, fitted_on = scores[fit], labels[fit], "held-out half"
    temperature = fit_temperature(fit_scores, fit_labels)
    before, judged = scores[evaluated], labels[evaluated]
    after = apply_temperature(before, temperature)
    return Calibration(temperature=temperature, fitted_on=fitted_on, n_fit=int(fit_labels.size),
                       n_evaluated=int(evaluated.size), evaluated=evaluated, scores_before=before, scores_after=after,
                       labels=judged, before=_figures(before, judged, bins), after=_figures(after, judged, bins))
