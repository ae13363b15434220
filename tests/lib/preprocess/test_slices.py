import numpy as np
import pytest

from lib.data.lung2d import read_lung2d
from lib.preprocess.slices import load_slices, preprocess_slice


def test_preprocess_slice_sizes_and_ranges():
    image = np.linspace(-1000, 500, 64 * 64).reshape(64, 64)
    mask = np.zeros((64, 64), np.uint8)
    mask[:, :32] = 255
    x, y = preprocess_slice(image, mask, size=16)
    assert x.shape == y.shape == (16, 16)
    assert x.dtype == np.float32 and x.min() == 0 and x.max() == 1
    assert y.dtype == np.uint8 and y[:, :8].all() and not y[:, 8:].any()


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match=r"\(4, 4\) and \(4, 5\)"):
        preprocess_slice(np.zeros((4, 4)), np.zeros((4, 5)))


def test_load_slices_on_demo(demo_root):
    arrays = load_slices(read_lung2d(demo_root / "lungs").items, size=32)
    assert arrays.images.shape == (24, 32, 32, 1) and arrays.masks.shape == (24, 32, 32, 1)
    assert len(arrays.names) == 24 and arrays.problems == []
    assert 0.05 < arrays.masks.mean() < 0.5
