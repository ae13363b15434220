"""Training batches for :func:`lib.training.loop.fit` on any Keras backend: one abstraction for every task.

:func:`batch_source` is the one batch source: ``length`` batches per epoch, batch ``i`` of epoch ``e`` made by the
task's ``make(e, i)`` just before the step that uses it (memory stays bounded, and the time spent making batches is
counted). :func:`array_batches` builds on it for rows of arrays in memory (DR's photos, Lung 2D's slices, with a
per-batch transform such as augmentation); Lung 3D's chunk sampler builds on it directly.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import numpy as np


def batch_rows(n: int, batch: int, *, steps: int | None, epoch: int, index: int, shuffle: bool, seed: int) -> np.ndarray:
    """The row numbers of batch ``index`` of epoch ``epoch``.

    ``steps=None``: an epoch is one pass over the ``n`` rows in a seeded order (reshuffled every epoch when
    ``shuffle``), the last batch possibly smaller. ``steps=S``: an epoch is S full batches taken from an
    endless stream of such passes, so a small set gets as many optimisation steps per epoch as a large one.

    Examples
    --------
    >>> batch_rows(5, 2, steps=None, epoch=0, index=2, shuffle=False, seed=0)
    array([4])
    >>> [batch_rows(5, 2, steps=4, epoch=e, index=i, shuffle=False, seed=0).tolist() for e in (0, 1) for i in (1, 3)]
    [[2, 3], [1, 2], [0, 1], [4, 0]]
    """
    if steps is None:
        return _order(n, epoch, shuffle, seed)[index * batch:(index + 1) * batch]
    start = (epoch * steps + index) * batch  # position in the stream of passes
    rows = []
    while len(rows) < batch:
        rank, offset = divmod(start + len(rows), n)
        rows.extend(_order(n, rank, shuffle, seed)[offset:offset + batch - len(rows)].tolist())
    return np.asarray(rows)


def _order(n: int, rank: int, shuffle: bool, seed: int) -> np.ndarray:
    if not shuffle:
        return np.arange(n)
    return np.random.default_rng([seed, rank]).permutation(n)


def batch_source(length: int, make: Callable[[int, int], tuple]):
    """A Keras ``PyDataset`` of ``length`` batches per epoch: batch ``i`` of epoch ``e`` is ``make(e, i)``, a tuple
    (x, y) or (x, y, sample_weight). ``on_epoch_end()`` (called by the loop) moves to the next epoch; ``seconds``
    adds up the time spent making batches (the input pipeline's share of training).

    Raises
    ------
    ValueError
        ``length`` below 1.
    """
    import keras  # framework: PyDataset: only where a model trains, never in the Streamlit server

    if length < 1:
        raise ValueError(f"a batch source needs at least one batch per epoch, got {length}")

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch = 0
            self.seconds = 0.0

        def __len__(self):
            return length

        def __getitem__(self, index):
            start = time.perf_counter()
            out = make(self.epoch, index)
            self.seconds += time.perf_counter() - start
            return out

        def on_epoch_end(self):
            self.epoch += 1

    return Batches()


def array_batches(arrays: Sequence[np.ndarray], batch: int, *, shuffle: bool, seed: int,
                  transform: Callable[..., tuple] | None = None, steps: int | None = None):
    """A :func:`batch_source` of batches of ``arrays`` (the same rows of each), in the seeded order of
    :func:`batch_rows`: one pass per epoch, or ``steps`` batches per epoch cycling through the rows.

    ``transform(*batch_arrays, rng=...)`` turns each batch into what the model gets (converting to float,
    augmenting); its generator is seeded by (``seed``, epoch, batch), so batch ``i`` of epoch ``e`` is the same
    whatever order the batches are asked for in.
    """
    n = len(arrays[0])
    if n == 0:
        raise ValueError("no rows to make batches from")
    steps = steps or None

    def make(epoch: int, index: int) -> tuple:
        pick = batch_rows(n, batch, steps=steps, epoch=epoch, index=index, shuffle=shuffle, seed=seed)
        chosen = tuple(a[pick] for a in arrays)
        if transform is None:
            return chosen
        return transform(*chosen, rng=np.random.default_rng([seed, epoch, index, 7]))

    return batch_source(steps if steps is not None else math.ceil(n / batch), make)
