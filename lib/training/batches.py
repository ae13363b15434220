"""Training batches from arrays in memory, for ``model.fit`` on any Keras backend."""

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


def array_batches(arrays: Sequence[np.ndarray], batch: int, *, shuffle: bool, seed: int,
                  transform: Callable[..., tuple] | None = None, steps: int | None = None):
    """A Keras ``PyDataset`` of batches of ``arrays`` (the same rows of each), in the seeded order of
    :func:`batch_rows`: one pass per epoch, or ``steps`` batches per epoch cycling through the rows.

    ``transform(*batch_arrays, rng=...)`` turns each batch into what the model gets (converting to float,
    augmenting); it receives the dataset's seeded generator. Batches are made one at a time: memory stays
    bounded. ``seconds`` adds up the time spent making batches (the input pipeline's share of training).
    """
    import keras

    n = len(arrays[0])
    if n == 0:
        raise ValueError("no rows to make batches from")
    steps = steps or None

    class ArrayBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.epoch = 0
            self.seconds = 0.0

        def __len__(self):
            return steps if steps is not None else math.ceil(n / batch)

        def __getitem__(self, index):
            start = time.perf_counter()
            pick = batch_rows(n, batch, steps=steps, epoch=self.epoch, index=index, shuffle=shuffle, seed=seed)
            chosen = tuple(a[pick] for a in arrays)
            out = transform(*chosen, rng=self.rng) if transform is not None else chosen
            self.seconds += time.perf_counter() - start
            return out

        def on_epoch_end(self):
            self.epoch += 1

    return ArrayBatches()
