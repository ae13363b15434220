"""One threshold, several groups: each subgroup's ROC curve, AUC with its interval, and the sensitivity and
specificity it gets at the one operating point chosen for everyone.

Hidden stratification (Oakden-Rayner et al., CHIL 2020) and dataset shift (Zech et al., PLOS Medicine 2018) hide
behind a single AUC: a threshold chosen on the whole set can give one site, camera or eye a much lower sensitivity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.metrics.roc import RocCurve, check_scores_and_labels, roc, youden_index
from lib.metrics.uncertainty import Bootstrap, Interval


@dataclass(frozen=True)
class GroupFigures:
    """One group's figures at the shared threshold.

    auc, curve : None when the group holds one class only (``note`` says so)
    sensitivity : None without positives; specificity : None without negatives
    Intervals are stratified bootstrap intervals (:class:`lib.metrics.uncertainty.Bootstrap`) when the group holds both
    classes, else the rate alone (low and high NaN).
    """

    name: str
    n: int
    n_pos: int
    n_neg: int
    auc: Interval | None
    sensitivity: Interval | None
    specificity: Interval | None
    curve: RocCurve | None
    note: str = ""

    def to_dict(self) -> dict:
        """JSON-ready: n, counts, auc, sensitivity, specificity (numbers or None) and their intervals."""
        def number(value: float | None):
            return None if value is None or math.isnan(value) else float(value)

        out = {"name": self.name, "n": self.n, "n_pos": self.n_pos, "n_neg": self.n_neg}
        for key in ("auc", "sensitivity", "specificity"):
            interval = getattr(self, key)
            out[key] = None if interval is None else number(interval.value)
            out[f"{key}_interval"] = None if interval is None or math.isnan(interval.low) else \
                [number(interval.low), number(interval.high)]
        if self.note:
            out["note"] = self.note
        return out


def youden_threshold(scores, labels) -> float:
    """The threshold of the ROC vertex maximising Youden's J = sensitivity + specificity - 1 (the first on ties).

    Raises
    ------
    ValueError
        As :func:`lib.metrics.roc.roc` (one class only among them).

    Examples
    --------
    >>> youden_threshold([0.1, 0.9], [0, 1])
    0.9
    """
    curve = roc(scores, labels)
    return float(curve.thresholds[youden_index(curve)])


def subgroups(scores, labels, groups, *, threshold: float, samples: int = 1000, seed: int = 0,
              level: float = 0.95) -> list[GroupFigures]:
    """Each group's figures at the one shared ``threshold`` (score >= threshold is positive), groups sorted by name.

    Parameters
    ----------
    scores, labels : array-like of shape (n,): finite scores, 0 / 1 labels
    groups : array-like of shape (n,), each item's group (compared as text)
    threshold : float, keyword-only; the operating point shared by every group
    samples, seed, level : keyword-only, the bootstrap's (:class:`lib.metrics.uncertainty.Bootstrap`)

    Raises
    ------
    ValueError
        As :func:`lib.metrics.roc.check_scores_and_labels`; ``groups`` of another length.
    """
    scores, labels = check_scores_and_labels(scores, labels)
    groups = np.asarray(groups).astype(str).ravel()
    if groups.shape != scores.shape:
        raise ValueError(f"groups should have the same length as scores, got {groups.size} and {scores.size}")
    rows = []
    for name in sorted(set(groups.tolist())):
        member = groups == name
        s, y = scores[member], labels[member]
        n_pos, n_neg = int(y.sum()), int((1 - y).sum())
        sens = float(np.mean(s[y == 1] >= threshold)) if n_pos else None
        spec = float(np.mean(s[y == 0] < threshold)) if n_neg else None
        if n_pos and n_neg:
            boot = Bootstrap(s, y, samples=samples, seed=seed, level=level)
            rows.append(GroupFigures(name, int(member.sum()), n_pos, n_neg, auc=boot.auc(),
                                     sensitivity=boot.sensitivity(threshold), specificity=boot.specificity(threshold),
                                     curve=roc(s, y)))
        else:
            only = "positive" if n_pos else "negative"
            rows.append(GroupFigures(
                name, int(member.sum()), n_pos, n_neg, auc=None,
                sensitivity=None if sens is None else Interval(sens, math.nan, math.nan, level),
                specificity=None if spec is None else Interval(spec, math.nan, math.nan, level), curve=None,
                note=f"only one class ({only}): no ROC curve or AUC"))
    return rows
