"""DeLong's interval for an AUC, written here independently of ``lib.metrics`` to check its bootstrap against.

DeLong, DeLong and Clarke-Pearson (1988): the AUC is the mean of psi(X_i, Y_j) over positive scores X and negative
scores Y (psi = 1 when X > Y, 1/2 on a tie, 0 otherwise). Its variance is estimated from the structural components
V10_i (each positive's mean psi against the negatives) and V01_j (each negative's against the positives):
var(AUC) = s10^2 / m + s01^2 / n, with the sample variances s^2 and m positives, n negatives.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm


def delong_interval(scores, labels, *, level: float = 0.95) -> tuple[float, float, float]:
    """(AUC, low, high): the normal interval on DeLong's standard error, clipped to [0, 1]."""
    scores, labels = np.asarray(scores, float), np.asarray(labels)
    positive, negative = scores[labels == 1], scores[labels == 0]
    psi = (positive[:, None] > negative[None, :]) + 0.5 * (positive[:, None] == negative[None, :])
    auc = float(psi.mean())
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    se = float(np.sqrt(v10.var(ddof=1) / positive.size + v01.var(ddof=1) / negative.size))
    z = norm.ppf(0.5 + level / 2)
    return auc, max(0.0, auc - z * se), min(1.0, auc + z * se)


def binormal_test_set(auc: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A balanced test set of ``n`` scores (n/2 per class) from two unit normals whose true AUC is ``auc``:
    AUC = Phi(shift / sqrt(2))."""
    shift = np.sqrt(2) * norm.ppf(auc)
    half = n // 2
    scores = np.concatenate([rng.normal(shift, 1, n - half), rng.normal(0, 1, half)])
    return scores, np.r_[np.ones(n - half), np.zeros(half)].astype(int)
