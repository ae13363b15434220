"""Lung 2D's own pieces: its training batches (augmented on the fly with the preview's code)."""

import numpy as np

from lib.tasks.lung2d import make_dataset


def test_training_batches_cover_every_slice_once_per_epoch():
    images = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1) * np.ones((10, 8, 8, 1), np.float32)
    data = make_dataset(images, np.zeros((10, 8, 8, 1), np.uint8), 4, ranges=None, seed=0, shuffle=True)
    assert len(data) == 3
    seen = np.concatenate([data[i][0][:, 0, 0, 0] for i in range(len(data))])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
