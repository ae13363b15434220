"""Overlap metrics for binary segmentation masks.

Empty-mask rule: when both the prediction and the ground truth are empty, there is nothing to find
and nothing was found, so IoU and Dice are 1.0 (``empty_score``; MONAI's ``ignore_empty=False``). When only
one is empty they are 0.

Two ways to sum a test set up, under two names everywhere (metrics.json, the pages, the README):

- **mean slice IoU** (``mean_slice_iou``): the IoU of every slice, then their mean; a small slice counts as much
  as a large one (:func:`per_item_scores`).
- **pooled IoU** (``pooled_iou``): one IoU over every pixel or voxel of the test set at once; large slices
  weigh more (:func:`iou` over the whole stack).
"""

from __future__ import annotations

import numpy as np


def _binary_pair(y_pred, y_true, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The predicted and true masks as booleans, after checking what came in.

    Raises
    ------
    ValueError
        Naming the argument: shapes that differ, an empty array, ``y_true`` holding anything but 0 / 1 (a 0 / 255
        mask, text), ``y_pred`` holding NaN, text or values outside [0, 1].
    """
    y_pred, y_true = np.asarray(y_pred), np.asarray(y_true)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"y_pred and y_true should have the same shape, got {y_pred.shape} and {y_true.shape}.")
    if y_pred.size == 0:
        raise ValueError(f"y_pred is empty (shape {y_pred.shape}): there is no mask to score")
    if y_true.dtype.kind not in "biuf" or not ((y_true == 0) | (y_true == 1)).all():
        raise ValueError(f"y_true must hold 0 / 1 (a binary mask), got values such as {np.unique(y_true)[:4].tolist()}")
    if y_pred.dtype.kind not in "biuf":
        raise ValueError(f"y_pred must be probabilities in [0, 1], got {y_pred.dtype} values")
    if y_pred.dtype.kind == "f":
        nans = int(np.count_nonzero(np.isnan(y_pred)))
        if nans:
            raise ValueError(f"y_pred holds {nans} NaN value(s): a model whose output is NaN has no mask to score")
    if y_pred.min() < 0 or y_pred.max() > 1:
        raise ValueError(f"y_pred must be probabilities in [0, 1], got values from {y_pred.min():g} to {y_pred.max():g}")
    return y_pred >= threshold, y_true == 1


def iou(y_pred, y_true, *, threshold: float = 0.5, empty_score: float = 1.0) -> float:
    """Intersection over union of two masks.

    Parameters
    ----------
    y_pred : array-like of any shape, probabilities or {0, 1}; ``>= threshold`` counts as positive
    y_true : array-like of the same shape, {0, 1}
    threshold : float, keyword-only
    empty_score : float, keyword-only
        The score when both masks are empty.

    Returns
    -------
    float in [0, 1].

    Examples
    --------
    >>> iou([[1, 1], [0, 0]], [[1, 0], [0, 0]])
    0.5
    """
    pred, true = _binary_pair(y_pred, y_true, threshold)
    union = np.count_nonzero(pred | true)
    if union == 0:
        return float(empty_score)
    return float(np.count_nonzero(pred & true) / union)


def dice(y_pred, y_true, *, threshold: float = 0.5, empty_score: float = 1.0) -> float:
    """Dice coefficient (F1 of the pixels): 2 |A and B| / (|A| + |B|); same conventions as :func:`iou`.

    Examples
    --------
    >>> round(dice([[1, 1], [0, 0]], [[1, 0], [0, 0]]), 4)
    0.6667
    """
    pred, true = _binary_pair(y_pred, y_true, threshold)
    total = np.count_nonzero(pred) + np.count_nonzero(true)
    if total == 0:
        return float(empty_score)
    return float(2 * np.count_nonzero(pred & true) / total)


def per_item_scores(y_pred, y_true, *, threshold: float = 0.5, empty_score: float = 1.0) -> dict[str, np.ndarray]:
    """IoU and Dice of every item along axis 0 (vectorised; the same empty rule).

    Parameters
    ----------
    y_pred, y_true : arrays of shape (N, ...) with N >= 1 (probabilities / {0, 1})

    Returns
    -------
    {"iou": ndarray (N,), "dice": ndarray (N,)}, float64.
    """
    if np.ndim(y_pred) == 0:
        raise ValueError("y_pred must have an item axis (shape (N, ...)), got a scalar")
    pred, true = _binary_pair(y_pred, y_true, threshold)
    n = pred.shape[0]
    pred, true = pred.reshape(n, -1), true.reshape(n, -1)
    inter = np.count_nonzero(pred & true, axis=1)
    union = np.count_nonzero(pred | true, axis=1)
    total = np.count_nonzero(pred, axis=1) + np.count_nonzero(true, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou_values = np.where(union == 0, empty_score, inter / np.maximum(union, 1))
        dice_values = np.where(total == 0, empty_score, 2 * inter / np.maximum(total, 1))
    return {"iou": iou_values.astype(np.float64), "dice": dice_values.astype(np.float64)}


def overlap_metrics(y_pred, y_true, *, threshold: float = 0.5) -> dict[str, float]:
    """Both summaries of a stack of test masks, under their own names.

    Parameters
    ----------
    y_pred, y_true : arrays of shape (N, ...): N slices (a 2D test set, or the axial slices of a volume)

    Returns
    -------
    {"mean_slice_iou", "mean_slice_dice": the mean over the N slices of each slice's score;
     "pooled_iou", "pooled_dice": one score over every pixel (voxel) at once}

    Examples
    --------
    >>> pred = np.array([[[1, 1], [1, 1]], [[0, 0], [0, 0]]]); true = np.array([[[1, 1], [1, 0]], [[0, 0], [0, 0]]])
    >>> {k: round(v, 3) for k, v in overlap_metrics(pred, true).items()}  # slice 2: both empty, 1.0
    {'mean_slice_iou': 0.875, 'mean_slice_dice': 0.929, 'pooled_iou': 0.75, 'pooled_dice': 0.857}
    """
    per_slice = per_item_scores(y_pred, y_true, threshold=threshold)
    return {"mean_slice_iou": float(per_slice["iou"].mean()), "mean_slice_dice": float(per_slice["dice"].mean()),
            "pooled_iou": iou(y_pred, y_true, threshold=threshold), "pooled_dice": dice(y_pred, y_true, threshold=threshold)}


def worst_item(scores) -> int:
    """The index of the lowest score (the first on ties); ValueError for no scores.

    Examples
    --------
    >>> worst_item([0.9, 0.4, 0.7, 0.4])
    1
    """
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        raise ValueError("scores is empty: there is no worst item")
    return int(np.argmin(scores))


IOU_RANGES = ((0.85, 0.90), (0.90, 0.95), (0.95, 1.0))


def examples_in_ranges(scores, ranges=IOU_RANGES) -> dict[tuple[float, float], int | None]:
    """For each [low, high) range (the last one includes 1.0), the item whose score is nearest the
    range's middle, or None when no item falls in it.

    Examples
    --------
    >>> examples_in_ranges([0.5, 0.86, 0.97, 1.0], ((0.85, 0.9), (0.9, 0.95), (0.95, 1.0)))
    {(0.85, 0.9): 1, (0.9, 0.95): None, (0.95, 1.0): 2}
    """
    scores = np.asarray(scores, dtype=float)
    picked: dict[tuple[float, float], int | None] = {}
    for low, high in ranges:
        inside = (scores >= low) & ((scores < high) if high < 1.0 else (scores <= high))
        candidates = np.flatnonzero(inside)
        if candidates.size == 0:
            picked[(low, high)] = None
        else:
            middle = (low + high) / 2
            picked[(low, high)] = int(candidates[np.argmin(np.abs(scores[candidates] - middle))])
    return picked
