"""Where a run's loss curve stood when training ended: still learning, overfitting, or neither.

One rule (:func:`phase`) decides between "still learning" and "overfitting", so that the diagnosis
(:mod:`lib.diagnosis`) and the texts beside the curves (:mod:`lib.notice`) can never say both about one run.
The helpers (:func:`noise`, :func:`trend`, :func:`tail_length`) are the curve statistics the rule is built from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STILL_LEARNING, OVERFITTING = "still_learning", "overfitting"


def noise(values) -> float:
    """The epoch-to-epoch noise of a curve: the standard deviation of its values around a smooth trend, estimated
    robustly from second differences (for white noise, var(v[i+1] - 2 v[i] + v[i-1]) = 6 sigma^2; the median absolute
    value times 1.4826 estimates a standard deviation). 0 with fewer than 3 values.

    Examples
    --------
    >>> noise([0.5, 0.5, 0.5, 0.5]), round(noise([0.5, 0.4, 0.3, 0.2]), 6)
    (0.0, 0.0)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 3:
        return 0.0
    second = v[2:] - 2 * v[1:-1] + v[:-2]
    return float(1.4826 * np.median(np.abs(second)) / math.sqrt(6))


def trend(values) -> tuple[float, float]:
    """(slope per epoch, its standard error) of the least-squares line through ``values``; the error is infinite
    with fewer than 3 values (a line through two points says nothing about noise).

    Examples
    --------
    >>> trend([1.0, 0.9, 0.8, 0.7])
    (-0.1, 0.0)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return 0.0, math.inf
    x = np.arange(v.size, dtype=float)
    x -= x.mean()
    slope = float((x * (v - v.mean())).sum() / (x * x).sum())
    if v.size < 3:
        return slope, math.inf
    residual = v - v.mean() - slope * x
    se = math.sqrt(float((residual ** 2).sum()) / (v.size - 2) / float((x * x).sum()))
    return round(slope, 12), round(se, 12)


def tail_length(n: int) -> int:
    """How many epochs count as "the last several" of an ``n``-epoch run: half the run, at least 3, at most 5."""
    return min(n, 5, max(3, n // 2))


@dataclass(frozen=True)
class Phase:
    """The verdict of :func:`phase` with the numbers its texts cite (indices are 0-based epochs of ``curve``).

    name : :data:`STILL_LEARNING`, :data:`OVERFITTING` or None (neither: the curve has levelled off)
    curve : the curve judged (the validation loss where there is one, else the training loss), finite values only
    which : "validation loss" or "training loss"
    best : the epoch (0-based) of the lowest stretch's lowest value (overfitting), else of the curve's minimum
    tail : how many last epochs the still-learning slope was taken over
    """

    name: str | None
    curve: np.ndarray
    which: str
    best: int
    tail: int


def _overfit_best(val: np.ndarray, train: np.ndarray, patience: int) -> int | None:
    """The 0-based epoch validation loss was lowest before it rose beyond its noise (see :func:`phase`), or None."""
    n = val.size
    if n < 5 or train.size != n or not np.isfinite(train).all():
        return None
    width = min(patience, (n - 1) // 2)  # a short run compares stretches of 2 epochs
    windows = np.convolve(val, np.ones(width) / width, mode="valid")  # windows[i]: mean of epochs i .. i+width-1
    start = int(np.argmin(windows[: n - 2 * width + 1]))  # the lowest stretch, ending >= width epochs early
    lowest = float(windows[start])
    best = start + int(np.argmin(val[start:start + width]))
    sigma = max(noise(val), 0.005 * abs(lowest))
    rise = float(windows[-1]) - lowest
    margin = 2.5 * sigma * math.sqrt(2 / width)
    still_fitting = train[-1] < train[best] - max(noise(train), 1e-6)
    if rise <= margin or val[-1] <= lowest + sigma or not still_fitting:
        return None
    if int(np.argmin(val)) == n - 1:  # never overfitting while the last epoch is the lowest
        return None
    return best


def phase(val_loss, loss, *, patience: int = 3) -> Phase:
    """Still learning, overfitting, or neither, when training ended: ONE rule, so that no run is called both.

    The curve judged is the validation loss where every epoch has one, else the training loss.

    **Overfitting** (validation loss only) when it rose beyond its own noise after its lowest stretch while training
    went on improving: sigma is the validation curve's epoch-to-epoch noise (:func:`noise`, at least 0.5 % of its
    lowest value), so the mean of w epochs has a standard error of sigma * sqrt(1 / w), where w is ``patience`` (2 for
    runs shorter than 2 * patience + 1 epochs; no verdict under 5 epochs). Take the stretch of w consecutive epochs
    with the lowest mean validation loss; it must end at least w epochs before the last. Overfitting when the mean of
    the last w epochs is above that lowest mean by more than 2.5 * sigma * sqrt(2 / w), the last epoch is above it by
    more than sigma, the training loss at the end is below its value at the best epoch by more than its own noise, and
    the lowest validation loss of the run is *not* at the last epoch.

    **Still learning** when it is not overfitting and, over the last several epochs (:func:`tail_length`), the curve
    falls with a slope more than twice its standard error below 0, by more over those epochs than twice the curve's
    epoch-to-epoch noise (a fall a student can see above the wobble), and the last epoch is within that noise of its
    lowest value (it has not turned back up).

    Since overfitting needs the last epoch above the lowest stretch by more than the noise, and still learning needs
    it within the noise of the lowest value, at most one holds; overfitting is checked first all the same.

    Examples
    --------
    >>> phase([.7, .62, .55, .5, .46], [.7, .6, .5, .45, .4]).name
    'still_learning'
    >>> phase([.6, .5, .52, .6, .7, .75], [.6, .4, .3, .2, .1, .05]).name
    'overfitting'
    """
    val = np.asarray([] if val_loss is None else val_loss, dtype=float)
    train = np.asarray([] if loss is None else loss, dtype=float)
    if val.size and np.isfinite(val).all():
        best = _overfit_best(val, train, patience)
        if best is not None:
            return Phase(OVERFITTING, val, "validation loss", best, tail_length(val.size))
        curve, which = val, "validation loss"
    elif val.size and np.isfinite(val).any():
        curve, which = val[np.isfinite(val)], "validation loss"
    else:
        curve, which = train[np.isfinite(train)], "training loss"
    if curve.size < 3:
        return Phase(None, curve, which, int(np.argmin(curve)) if curve.size else 0, curve.size)
    k = tail_length(curve.size)
    slope, se = trend(curve[-k:])
    lowest = int(np.argmin(curve))
    sigma = noise(curve)
    falling = (slope < 0 and slope < -2 * se and -slope * (k - 1) > 2 * sigma
               and curve[-1] <= float(curve[lowest]) + max(sigma, 1e-9))
    return Phase(STILL_LEARNING if falling else None, curve, which, lowest, k)
