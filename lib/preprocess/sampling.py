"""Labels, balanced sampling and seeded splits (pure functions over label arrays)."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

REFER_FROM_LEVEL = 2  # levels 0-1: no referral; 2-4 (moderate or worse): refer


def referral_labels(levels, *, refer_from: int = REFER_FROM_LEVEL) -> np.ndarray:
    """Binary referral labels from DR levels.

    Parameters
    ----------
    levels : array-like of shape (n,), integers 0..4
    refer_from : int, keyword-only
        The lowest level that is referred.

    Returns
    -------
    ndarray of shape (n,), int64: 1 = refer, 0 = don't refer.

    Examples
    --------
    >>> referral_labels([0, 1, 2, 3, 4]).tolist()
    [0, 0, 1, 1, 1]
    """
    levels = np.asarray(levels)
    if levels.size and (levels.min() < 0 or levels.max() > 4):
        raise ValueError(f"levels must be 0..4, got values from {levels.min()} to {levels.max()}")
    return (levels >= refer_from).astype(np.int64)


def balanced_sample(labels, n_per_class: int, *, seed: int = 0) -> np.ndarray:
    """Pick the same number of items of every class at random, without replacement: ``n_per_class``, or
    as many as the smallest class has when that is fewer, so the sample is always balanced (the caller
    says so when it takes fewer than asked).

    Parameters
    ----------
    labels : array-like of shape (n,)
    n_per_class : int, at least 1
    seed : int, keyword-only

    Returns
    -------
    ndarray of indices into ``labels``, sorted ascending.

    Examples
    --------
    >>> labels = [0, 0, 0, 0, 1, 1]
    >>> [labels[i] for i in balanced_sample(labels, 3, seed=0)]
    [0, 0, 1, 1]
    """
    labels = np.asarray(labels)
    if int(n_per_class) != n_per_class or n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive whole number, got {n_per_class!r}")
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    take = min([int(n_per_class)] + [int(np.count_nonzero(labels == c)) for c in classes])
    picked = []
    for cls in classes:
        members = np.flatnonzero(labels == cls)
        picked.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, np.int64)


def split_indices(n: int, *, fractions=(0.6, 0.2, 0.2), seed: int = 0, stratify=None) -> dict[str, np.ndarray]:
    """Seeded random train / validation / test split of ``range(n)``.

    Parameters
    ----------
    n : int
        Number of items.
    fractions : (train, val, test), keyword-only
        Must sum to 1 (within 1e-6); each part must get at least one item.
    seed : int, keyword-only
    stratify : array-like of shape (n,), optional, keyword-only
        Class labels to keep in the same proportion in every part.

    Returns
    -------
    dict with "train", "val", "test": sorted index arrays that together cover ``range(n)`` once.
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions}")
    if n < 3:
        raise ValueError(f"need at least 3 items to split into train/val/test, got {n}")
    index = np.arange(n)
    labels = None if stratify is None else np.asarray(stratify)
    if labels is not None and labels.shape != (n,):
        raise ValueError(f"stratify must have shape ({n},), got {labels.shape}")
    train_frac, val_frac, test_frac = fractions
    rest_index, test_index = train_test_split(
        index, test_size=test_frac, random_state=seed, stratify=labels)
    rest_labels = None if labels is None else labels[rest_index]
    train_index, val_index = train_test_split(
        rest_index, test_size=val_frac / (train_frac + val_frac), random_state=seed + 1, stratify=rest_labels)
    return {"train": np.sort(train_index), "val": np.sort(val_index), "test": np.sort(test_index)}


def class_counts(labels, classes) -> dict[int, int]:
    """Number of items of each class in ``classes`` (zero where absent)."""
    labels = np.asarray(labels)
    return {int(c): int(np.count_nonzero(labels == c)) for c in classes}
