"""Training batches from arrays in memory, for ``model.fit`` on any Keras backend."""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np


def array_batches(arrays: Sequence[np.ndarray], batch: int, *, shuffle: bool, seed: int,
                  transform: Callable[..., tuple] | None = None):
    """A Keras ``PyDataset`` of batches of ``arrays`` (the same rows of each), reshuffled every epoch (seeded).

    ``transform(*batch_arrays, rng=...)`` turns each batch into what the model gets (converting to float,
    augmenting); it receives the dataset's seeded generator. Batches are made one at a time: memory stays bounded.
    """
    import keras

    n = len(arrays[0])

    class ArrayBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.order = np.arange(n)
            self.on_epoch_end()

        def __len__(self):
            return math.ceil(n / batch)

        def __getitem__(self, index):
            pick = self.order[index * batch:(index + 1) * batch]
            chosen = tuple(a[pick] for a in arrays)
            return transform(*chosen, rng=self.rng) if transform is not None else chosen

        def on_epoch_end(self):
            if shuffle:
                self.rng.shuffle(self.order)

    return ArrayBatches()
