import numpy as np
import pytest

from lib.data.ct_slices import read_lung2d
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


def test_a_lung_window_ignores_scanner_padding_where_min_max_squashes_the_lungs():
    image = np.full((64, 64), -3024.0)  # outside the scanner's field of view
    yy, xx = np.mgrid[:64, :64]
    inside = (yy - 32) ** 2 + (xx - 32) ** 2 < 28**2
    image[inside] = 40.0  # soft tissue
    lung = inside & (np.abs(xx - 32) > 6) & ((yy - 32) ** 2 + (np.abs(xx - 32) - 16) ** 2 < 9**2)
    image[lung] = -850.0
    mask = lung.astype(np.uint8)
    windowed, _ = preprocess_slice(image, mask, size=64, normalise="lung_window")
    plain, _ = preprocess_slice(image, mask, size=64, normalise="minmax")
    contrast = lambda x: float(np.median(x[inside & ~lung]) - np.median(x[lung]))  # noqa: E731
    assert contrast(windowed) > 0.55 and contrast(plain) < 0.3
    assert windowed[~inside].max() == 0.0


@pytest.mark.parametrize("dtype", [np.int16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(512, 512), (256, 256), (512, 384)])
def test_any_size_and_dtype_gives_the_model_its_size(dtype, shape):
    image = np.random.default_rng(0).uniform(-1024, 400, shape).astype(dtype)
    mask = np.zeros(shape, bool)
    mask[10:60, 10:60] = True
    x, y = preprocess_slice(image, mask, size=128, normalise="lung_window")
    assert x.shape == y.shape == (128, 128) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    assert set(np.unique(y)) == {0, 1}


def test_slices_not_in_hounsfield_units_are_min_maxed_and_reported(tmp_path):
    import tifffile

    from lib.data.ct_slices import SlicePair

    (tmp_path / "i").mkdir()
    (tmp_path / "m").mkdir()
    tifffile.imwrite(tmp_path / "i" / "a.tif", np.random.default_rng(0).integers(0, 4095, (32, 32)).astype(np.uint16))
    tifffile.imwrite(tmp_path / "m" / "a.tif", np.eye(32, dtype=np.uint8))  # a 0 / 1 mask
    arrays = load_slices([SlicePair("a.tif", tmp_path / "i" / "a.tif", tmp_path / "m" / "a.tif")], size=16,
                         normalise="lung_window")
    assert arrays.images.max() == 1.0 and [p.kind for p in arrays.problems] == ["not_hu"]
