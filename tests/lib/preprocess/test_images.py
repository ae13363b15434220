import numpy as np

from lib.preprocess.images import from_uint8_unit, minmax, resize_image, resize_mask, to_uint8_unit


def test_minmax_hand_computed_and_input_untouched():
    image = np.array([[2.0, 4.0], [6.0, 10.0]])
    before = image.copy()
    out = minmax(image)
    np.testing.assert_allclose(out, [[0, 0.25], [0.5, 1.0]])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(image, before)


def test_minmax_of_a_constant_image_is_zero():
    assert minmax(np.full((3, 3), 7.0)).tolist() == np.zeros((3, 3)).tolist()


def test_resize_mask_keeps_label_values_and_image_resize_size():
    mask = np.zeros((64, 64), np.uint8)
    mask[10:40, 20:50] = 1
    small = resize_mask(mask, 16)
    assert small.shape == (16, 16) and set(np.unique(small)) == {0, 1}
    assert resize_image(np.random.default_rng(0).random((50, 70)).astype(np.float32), (20, 30)).shape == (20, 30)


def test_uint8_round_trip_error_is_tiny():
    x = np.linspace(0, 1, 1001, dtype=np.float32)
    assert np.abs(from_uint8_unit(to_uint8_unit(x)) - x).max() <= 1 / 510 + 1e-7
