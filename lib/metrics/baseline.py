"""The baselines a run is read against: what a model that ignores its input scores, and whether the input varies.

A binary cross-entropy model that has learned nothing answers the same probability for every item; the best such
answer is the share of positives, and its loss is the entropy of that share (ln 2 = 0.693 for a balanced set). A
training loss that stays there has learned nothing about the input. And when the inputs hardly differ from one
another, no learning rate can help: there is nothing to learn from.
"""

from __future__ import annotations

import math

import numpy as np


def entropy(share: float) -> float:
    """The binary cross-entropy (natural log) of answering ``share`` for items of which ``share`` are positive.

    Examples
    --------
    >>> round(entropy(0.5), 4), round(entropy(0.25), 4), entropy(0.0)
    (0.6931, 0.5623, 0.0)
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be in [0, 1], got {share!r}")
    if share in (0.0, 1.0):
        return 0.0
    return float(-(share * math.log(share) + (1 - share) * math.log(1 - share)))


def chance_loss(labels, weights=None) -> dict:
    """The loss of the best constant prediction, as Keras' binary cross-entropy computes it.

    Keras reduces a weighted loss by the number of elements (``sum_over_batch_size``), not by the sum of the weights,
    so with weights (Lung 3D's ignored voxels, weight 0) the chance loss is the labelled share times the entropy of
    the positive share among the labelled elements.

    Parameters
    ----------
    labels : array-like of 0 / 1, any shape (photos' labels, masks' pixels)
    weights : array-like of the same shape, >= 0, optional (sample weights; None: all 1)

    Returns
    -------
    {"chance_loss": float, "positive_share": float (among weighted elements), "weighted_share": float}

    Raises
    ------
    ValueError
        Empty labels, labels other than 0 / 1, weights of another shape, negative or all-zero weights.

    Examples
    --------
    >>> {k: round(v, 4) for k, v in chance_loss([0, 1, 0, 1]).items()}
    {'chance_loss': 0.6931, 'positive_share': 0.5, 'weighted_share': 1.0}
    >>> round(chance_loss([1, 0, 0, 0, 1, 1], weights=[1, 1, 1, 1, 0, 0])["chance_loss"], 4)  # 4/6 * H(1/4)
    0.3749
    """
    labels = np.asarray(labels)
    if labels.size == 0:
        raise ValueError("labels is empty")
    if labels.dtype.kind not in "biuf" or not ((labels == 0) | (labels == 1)).all():
        raise ValueError(f"labels must be 0 or 1, got values such as {np.unique(labels)[:4].tolist()}")
    if weights is None:
        weights = np.ones(labels.shape, np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != labels.shape:
        raise ValueError(f"weights should have the labels' shape {labels.shape}, got {weights.shape}")
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise ValueError("weights must be finite and at least 0")
    total = float(weights.sum())
    if total <= 0:
        raise ValueError("every weight is 0: nothing is labelled")
    share = float((weights * labels).sum() / total)
    weighted = total / labels.size
    return {"chance_loss": weighted * entropy(share), "positive_share": share, "weighted_share": weighted}


def input_spread(items, *, limit: int = 256, seed: int = 0) -> float:
    """How much the inputs differ from one another: the mean, over pixels, of their standard deviation across items,
    as a share of the inputs' whole value range. 0 when every item is the same (or constant); natural images and CT
    slices give about 0.05 to 0.3.

    Parameters
    ----------
    items : array of shape (N, ...) with N >= 1, any numeric dtype; at most ``limit`` items (a seeded choice) are used

    Examples
    --------
    >>> input_spread(np.zeros((4, 8, 8))), input_spread(np.ones((3, 2)) * [[0.0], [0.5], [1.0]])
    (0.0, 0.4082)
    """
    items = np.asarray(items)
    if items.ndim == 0 or items.shape[0] == 0:
        raise ValueError(f"items must have shape (N, ...) with N >= 1, got {items.shape}")
    if items.shape[0] > limit:
        pick = np.sort(np.random.default_rng(seed).choice(items.shape[0], limit, replace=False))
        items = items[pick]
    values = items.reshape(items.shape[0], -1).astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("items hold NaN or infinite values")
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return 0.0
    return round(float(values.std(axis=0).mean() / (high - low)), 4)
