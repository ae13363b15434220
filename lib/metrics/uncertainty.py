"""How sure are the test figures? Seeded, stratified bootstrap intervals for AUC, sensitivity and specificity.

With 80 test photos an AUC of 0.86 is not 0.86 +/- 0.001. Each bootstrap sample draws the test set again
with replacement, positives from the positives and negatives from the negatives (stratified: every sample
keeps the test set's class counts, so AUC, sensitivity and specificity are always defined). The
resampled indices are drawn once (:class:`Bootstrap`) and reused for every threshold, so the intervals of
a new operating point cost one comparison per resampled score (milliseconds: fast enough for a drag).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from lib.metrics.roc import check_scores_and_labels

# Resampled scores held at once: 4,000,000 int32 indices, 16 MB. A test set so large that ``samples`` resamples
# would hold more gets fewer resamples (with a warning saying how many).
MAX_DRAWN = 4_000_000


@dataclass(frozen=True)
class Interval:
    """A point estimate and its (low, high) interval at ``level``."""

    value: float
    low: float
    high: float
    level: float = 0.95

    def span(self) -> str:
        """``31% to 77%``: the interval alone, in percent (for rates)."""
        return f"{self.low:.0%} to {self.high:.0%}"

    def text(self, percent: bool = False) -> str:
        """``0.86 (0.78 to 0.93)``, or in percent."""
        if percent:
            return f"{self.value:.0%} ({self.low:.0%} to {self.high:.0%})"
        return f"{self.value:.2f} ({self.low:.2f} to {self.high:.2f})"


class Bootstrap:
    """Resamples of one test set (scores in [0, 1], labels 0 / 1 with both classes present).

    Examples
    --------
    >>> b = Bootstrap([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], samples=200, seed=0)
    >>> b.auc()
    Interval(value=1.0, low=1.0, high=1.0, level=0.95)
    >>> b.sensitivity(0.5).value, b.specificity(0.95).value
    (1.0, 1.0)
    """

    def __init__(self, scores, labels, *, samples: int = 1000, seed: int = 0, level: float = 0.95):
        """
        Parameters
        ----------
        scores, labels : array-like of shape (n,): finite scores, labels 0 / 1 with both classes present
        samples : int >= 1, the number of resamples; fewer (with a warning) when ``samples * n`` would exceed
            :data:`MAX_DRAWN`
        seed : the resampling's seed
        level : the intervals' level, in (0, 1)

        Raises
        ------
        ValueError
            As :func:`lib.metrics.roc.check_scores_and_labels` (NaN scores, labels other than 0 / 1, ...); one class
            only; ``samples`` below 1; ``level`` outside (0, 1).
        """
        self.scores, labels = check_scores_and_labels(scores, labels)
        self.positive = self.scores[labels == 1]
        self.negative = self.scores[labels == 0]
        if self.positive.size == 0 or self.negative.size == 0:
            raise ValueError("bootstrap intervals need both classes in the test set")
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
            raise ValueError(f"samples must be a whole number of at least 1, got {samples!r}")
        self.level = level
        self.samples = int(min(samples, max(1, MAX_DRAWN // self.scores.size)))
        if self.samples < samples:
            warnings.warn(f"bootstrap: {self.samples} resamples instead of {samples} for {self.scores.size:,} test items "
                          f"(at most {MAX_DRAWN:,} resampled scores are held at once)", UserWarning, stacklevel=2)
        rng = np.random.default_rng(seed)
        self._pos = rng.integers(0, self.positive.size, (self.samples, self.positive.size), dtype=np.int32)
        self._neg = rng.integers(0, self.negative.size, (self.samples, self.negative.size), dtype=np.int32)

    def _interval(self, value: float, draws: np.ndarray) -> Interval:
        tail = (1 - self.level) / 2 * 100
        low, high = np.percentile(draws, [tail, 100 - tail])
        return Interval(float(value), float(low), float(high), self.level)

    def auc(self) -> Interval:
        """AUC (ties count one half) and its interval."""
        def auc_of(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
            both = np.concatenate([pos, neg], axis=-1)
            ranks = rankdata(both, axis=-1)
            n_pos, n_neg = pos.shape[-1], neg.shape[-1]
            return (ranks[..., :n_pos].sum(axis=-1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)

        value = float(auc_of(self.positive[None], self.negative[None])[0])
        return self._interval(value, auc_of(self.positive[self._pos], self.negative[self._neg]))

    def sensitivity(self, threshold: float) -> Interval:
        """The share of positives scored at or above ``threshold``, and its interval."""
        hits = self.positive >= threshold
        return self._interval(float(hits.mean()), hits[self._pos].mean(axis=1))

    def specificity(self, threshold: float) -> Interval:
        """The share of negatives scored below ``threshold``, and its interval."""
        passes = self.negative < threshold
        return self._interval(float(passes.mean()), passes[self._neg].mean(axis=1))
