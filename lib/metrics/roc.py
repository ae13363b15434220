"""ROC curve and operating points of a binary screening test.

Convention (as scikit-learn's): a photo is called positive ("refer") when its score is
``>= threshold``. Sensitivity = TP / (TP + FN), specificity = TN / (TN + FP), PPV = TP / (TP + FP),
NPV = TN / (TN + FN). A ratio whose denominator is 0 is NaN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

THRESHOLD_DECIMALS = 4  # how every view shows a threshold (the component's panel, the threshold box, captions)


@dataclass(frozen=True)
class RocCurve:
    """fpr, tpr, thresholds: arrays (k,) with thresholds decreasing; n_pos, n_neg: class counts.

    ``thresholds[0]`` is just above the highest score (nobody positive) instead of scikit-learn's
    ``inf``, so the curve can be sent as JSON.
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    n_pos: int
    n_neg: int
    auc: float


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int
    sensitivity: float
    specificity: float
    ppv: float
    npv: float
    accuracy: float
    prevalence: float  # the prevalence the next two are computed at
    ppv_at_prevalence: float
    npv_at_prevalence: float

    def to_dict(self) -> dict:
        return asdict(self)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def check_scores_and_labels(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """Scores as float64 (n,) and labels as int64 (n,), checked where they enter.

    Raises
    ------
    ValueError
        Naming the argument: a scalar instead of a 1-d array, an empty test set, lengths that differ, scores that are
        not numbers or are NaN / infinite, labels other than 0 / 1.
    """
    for name, value in (("scores", scores), ("labels", labels)):
        if np.ndim(value) == 0:
            raise ValueError(f"{name} must be a 1-d array-like of shape (n,), got a scalar {value!r:.40}")
    try:
        scores = np.asarray(scores, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError("scores must be numbers") from None
    labels = np.asarray(labels).ravel()
    if scores.size == 0:
        raise ValueError("scores is empty: a test set needs at least one item")
    if scores.shape != labels.shape:
        raise ValueError(f"scores and labels should have the same length, got {scores.shape[0]} and {labels.shape[0]}.")
    bad = int(np.count_nonzero(~np.isfinite(scores)))
    if bad:
        raise ValueError(f"scores hold {bad} NaN or infinite value(s)")
    if labels.dtype.kind not in "biuf" or not set(np.unique(labels).tolist()) <= {0, 1}:
        raise ValueError(f"labels must be 0 or 1, got values {np.unique(labels)[:5].tolist()}")
    return scores, labels.astype(np.int64)


def _unit(value, name: str, *, nan_ok: bool = False) -> float:
    """``value`` as a float in [0, 1] (NaN too when ``nan_ok``: "not defined"); ValueError naming ``name`` otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r:.40}") from None
    if np.isnan(number) and nan_ok:
        return number
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r:.40}")
    return number


def roc(scores, labels) -> RocCurve:
    """The full ROC curve (every distinct score is a vertex) and its AUC.

    Parameters
    ----------
    scores : array-like of shape (n,), higher = more likely positive
    labels : array-like of shape (n,), 0 / 1; both classes must be present

    Raises
    ------
    ValueError
        Lengths differ, NaN scores, labels other than 0 / 1, or only one class present.
    """
    scores, labels = check_scores_and_labels(scores, labels)
    n_pos, n_neg = int(labels.sum()), int((1 - labels).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"the ROC curve needs both classes, got {n_pos} positive and {n_neg} negative")
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    thresholds = thresholds.copy()
    thresholds[0] = np.nextafter(scores.max(), np.inf)
    return RocCurve(fpr=fpr, tpr=tpr, thresholds=thresholds, n_pos=n_pos, n_neg=n_neg,
                    auc=float(roc_auc_score(labels, scores)))


def ppv_npv_at_prevalence(sensitivity: float, specificity: float, prevalence: float) -> tuple[float, float]:
    """PPV and NPV of a test with this sensitivity and specificity where the condition has ``prevalence``.

    Bayes: PPV = se p / (se p + (1 - sp)(1 - p)); NPV = sp (1 - p) / (sp (1 - p) + (1 - se) p).

    Parameters
    ----------
    sensitivity, specificity : float in [0, 1], or NaN when not defined (then so are PPV and NPV)
    prevalence : float in [0, 1]

    Raises
    ------
    ValueError
        A rate or the prevalence outside [0, 1] (which would give a PPV or NPV outside it).

    Examples
    --------
    >>> [round(v, 3) for v in ppv_npv_at_prevalence(0.9, 0.8, 0.2)]
    [0.529, 0.97]
    """
    sensitivity = _unit(sensitivity, "sensitivity", nan_ok=True)
    specificity = _unit(specificity, "specificity", nan_ok=True)
    p = _unit(prevalence, "prevalence")
    ppv = _ratio(sensitivity * p, sensitivity * p + (1 - specificity) * (1 - p))
    npv = _ratio(specificity * (1 - p), specificity * (1 - p) + (1 - sensitivity) * p)
    return ppv, npv


def operating_point(scores, labels, threshold: float, *, prevalence: float | None = None) -> OperatingPoint:
    """Every figure of the test at ``threshold``.

    Parameters
    ----------
    scores, labels : as for :func:`roc`
    threshold : float; score >= threshold is positive
    prevalence : float in [0, 1], optional, keyword-only
        For PPV / NPV in a population other than the test set; default: the test set's own.

    Raises
    ------
    ValueError
        As :func:`check_scores_and_labels`; a threshold that is not a number (NaN included).
    """
    scores, labels = check_scores_and_labels(scores, labels)
    threshold = _threshold(threshold)
    positive = scores >= threshold
    tp = int(np.count_nonzero(positive & (labels == 1)))
    fp = int(np.count_nonzero(positive & (labels == 0)))
    fn = int(np.count_nonzero(~positive & (labels == 1)))
    tn = int(np.count_nonzero(~positive & (labels == 0)))
    return _point(float(threshold), tp, fp, tn, fn, prevalence)


def _point(threshold, tp, fp, tn, fn, prevalence) -> OperatingPoint:
    sensitivity, specificity = _ratio(tp, tp + fn), _ratio(tn, tn + fp)
    own = _ratio(tp + fn, tp + fp + tn + fn)
    prevalence = own if prevalence is None else float(prevalence)
    ppv_p, npv_p = ppv_npv_at_prevalence(sensitivity, specificity, prevalence)
    return OperatingPoint(threshold=threshold, tp=tp, fp=fp, tn=tn, fn=fn, sensitivity=sensitivity, specificity=specificity,
                          ppv=_ratio(tp, tp + fp), npv=_ratio(tn, tn + fn), accuracy=_ratio(tp + tn, tp + fp + tn + fn),
                          prevalence=prevalence, ppv_at_prevalence=ppv_p, npv_at_prevalence=npv_p)


def _threshold(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a number, got {value!r:.40}") from None
    if np.isnan(number):
        raise ValueError("threshold must be a number, got NaN")
    return number


def point_on_curve(curve: RocCurve, threshold: float, *, prevalence: float | None = None) -> OperatingPoint:
    """Like :func:`operating_point`, from the curve alone (O(log n)): the vertex of the last threshold >= ``threshold``."""
    threshold = _threshold(threshold)
    index = vertex_index(curve, threshold)
    tp = int(round(curve.tpr[index] * curve.n_pos))
    fp = int(round(curve.fpr[index] * curve.n_neg))
    return _point(float(threshold), tp, fp, curve.n_neg - fp, curve.n_pos - tp, prevalence)


def vertex_index(curve: RocCurve, threshold: float) -> int:
    """Index of the curve vertex that ``threshold`` lands on (thresholds are decreasing)."""
    # number of thresholds >= t, minus one; searchsorted needs increasing order
    count = len(curve.thresholds) - int(np.searchsorted(curve.thresholds[::-1], threshold, side="left"))
    return max(0, count - 1)


def youden_index(curve: RocCurve) -> int:
    """Vertex maximising Youden's J = sensitivity + specificity - 1 (the first one on ties)."""
    return int(np.argmax(curve.tpr - curve.fpr))


def threshold_for_sensitivity(curve: RocCurve, target: float) -> float:
    """The highest threshold whose sensitivity reaches ``target`` (rule-out / screening point).

    ``target`` in [0, 1] (ValueError otherwise); the curve's last vertex reaches sensitivity 1, so there is always one.
    """
    target = _unit(target, "target")
    index = int(np.flatnonzero(curve.tpr >= target - 1e-12)[0])
    return float(curve.thresholds[index])


def threshold_for_specificity(curve: RocCurve, target: float) -> float:
    """The lowest threshold whose specificity is still at least ``target`` (rule-in point).

    ``target`` in [0, 1] (ValueError otherwise); the curve's first vertex has specificity 1, so there is always one.
    """
    target = _unit(target, "target")
    index = int(np.flatnonzero(1 - curve.fpr >= target - 1e-12)[-1])
    return float(curve.thresholds[index])


def curve_payload(curve: RocCurve, *, threshold: float, prevalence: float) -> dict:
    """What the browser component needs, JSON-ready: the vertices, class counts and the marked points."""
    j = youden_index(curve)
    return {
        "fpr": np.round(curve.fpr, 6).tolist(),
        "tpr": np.round(curve.tpr, 6).tolist(),
        "thr": curve.thresholds.astype(float).tolist(),
        "nPos": curve.n_pos,
        "nNeg": curve.n_neg,
        "auc": curve.auc,
        "youden": j,
        "threshold": float(threshold),
        "prevalence": float(prevalence),
        "decimals": THRESHOLD_DECIMALS,
    }


def precision_recall(tpr, fpr, prevalence: float):
    """Precision (PPV) at each ROC vertex for a population with ``prevalence`` referable, and recall (= sensitivity).

    Parameters
    ----------
    tpr, fpr : array-like of shape (k,), the ROC curve's vertices
    prevalence : float in [0, 1]

    Returns
    -------
    (precision, recall): arrays (k,); precision is 1.0 where nothing is referred.

    Examples
    --------
    >>> precision_recall(np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.25, 1.0]), 0.5)[0].round(3).tolist()
    [1.0, 0.667, 0.5]
    """
    prevalence = _unit(prevalence, "prevalence")
    tpr, fpr = np.asarray(tpr, float), np.asarray(fpr, float)
    hits, alarms = tpr * prevalence, fpr * (1 - prevalence)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(hits + alarms > 0, hits / (hits + alarms), 1.0)
    return precision, tpr


def outcome_indices(scores, labels, threshold: float) -> dict[str, np.ndarray]:
    """The test items in each cell of the confusion matrix at ``threshold``, the most confident mistakes first.

    Returns
    -------
    {"false_positive": (k,) indices by score, highest first; "false_negative": lowest first; "true_positive": highest
    first; "true_negative": lowest first; "misclassified": every mistake, farthest from the threshold first}

    Examples
    --------
    >>> {k: v.tolist() for k, v in outcome_indices([0.9, 0.2, 0.6, 0.4, 0.7], [0, 1, 1, 0, 0], 0.5).items()}
    {'false_positive': [0, 4], 'false_negative': [1], 'true_positive': [2], 'true_negative': [3], 'misclassified': [0, 1, 4]}
    """
    scores, labels = check_scores_and_labels(scores, labels)
    positive = scores >= _threshold(threshold)

    def ordered(mask, highest_first: bool) -> np.ndarray:
        index = np.flatnonzero(mask)
        return index[np.argsort(-scores[index] if highest_first else scores[index], kind="stable")]

    wrong = np.flatnonzero(positive != (labels == 1))
    return {"false_positive": ordered(positive & (labels == 0), True),
            "false_negative": ordered(~positive & (labels == 1), False),
            "true_positive": ordered(positive & (labels == 1), True),
            "true_negative": ordered(~positive & (labels == 0), False),
            "misclassified": wrong[np.argsort(-np.abs(scores[wrong] - threshold), kind="stable")]}


def has_both_classes(labels) -> bool:
    """Whether ``labels`` (0 / 1) hold both classes: an ROC curve needs both."""
    values = set(np.unique(np.asarray(labels)).tolist())
    return {0, 1} <= values


@dataclass(frozen=True)
class PairDraws:
    """Random pairs of one referable and one non-referable photo: ``positive``/``negative`` index the test set, ``win``
    is 1 where the referable photo scored higher, 0.5 on a tie, else 0."""

    positive: np.ndarray
    negative: np.ndarray
    win: np.ndarray

    @property
    def running_share(self) -> np.ndarray:
        """The share won after each draw (the curve that settles on the AUC)."""
        return np.cumsum(self.win) / np.arange(1, len(self.win) + 1)


def draw_pairs(scores, labels, n: int, *, seed: int) -> PairDraws:
    """``n`` random (referable, non-referable) pairs of the test set, drawn with replacement.

    The AUC is the probability that a random referable photo scores above a random non-referable one (ties count
    half): the mean of ``win`` over many draws tends to it, which is the lesson of the "draw pairs" button.

    Examples
    --------
    >>> draws = draw_pairs([0.9, 0.2, 0.4, 0.1], [1, 1, 0, 0], 4000, seed=0)
    >>> abs(float(draws.win.mean()) - 0.75) < 0.02  # the AUC, 0.75: 0.9 beats both, 0.2 beats only 0.1
    True
    """
    scores, labels = check_scores_and_labels(scores, labels)
    if not has_both_classes(labels):
        raise ValueError("labels must hold both classes to draw pairs, got only one")
    if not (isinstance(n, (int, np.integer)) and n >= 0):
        raise ValueError(f"n must be a whole number >= 0, got {n!r:.40}")
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    # one draw of (n, 2) in row order: the first k pairs of n draws are the k pairs of k draws ("draw more" keeps them)
    picks = rng.integers(0, [len(positives), len(negatives)], size=(n, 2))
    pos, neg = positives[picks[:, 0]], negatives[picks[:, 1]]
    win = np.where(scores[pos] > scores[neg], 1.0, np.where(scores[pos] == scores[neg], 0.5, 0.0))
    return PairDraws(pos, neg, win)


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley and McNeil's (1982) standard error of an AUC from ``positives`` and ``negatives`` test items: how far
    an AUC measured on a test set this size could be from the model's own (the diagnosis asks whether 0.5 is in reach).

    Examples
    --------
    >>> round(auc_standard_error(0.8, 40, 40), 3), round(auc_standard_error(0.5, 15, 15), 3)
    (0.05, 0.107)
    """
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc ** 2) + (negatives - 1) * (q2 - auc ** 2)) \
        / (positives * negatives)
    return math.sqrt(max(0.0, variance))
