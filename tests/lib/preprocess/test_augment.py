import numpy as np
import pytest
import tensorflow as tf

from lib.preprocess.augment import AugmentRanges, apply_transform, augment_pair, transform_matrix


def _square(size=32):
    mask = np.zeros((1, size, size, 1), np.float32)
    mask[0, 10:18, 12:20, 0] = 1.0
    return mask


def test_known_shift_moves_image_and_mask_alike():
    mask = _square()
    image = mask * 0.8 + 0.1
    t = transform_matrix([0.0], [1.0], [5.0], [-3.0], 32, 32)
    out_image = apply_transform(tf.constant(image), t, interpolation="bilinear").numpy()
    out_mask = apply_transform(tf.constant(mask), t, interpolation="nearest").numpy()
    expected = np.zeros_like(mask)
    expected[0, 7:15, 17:25, 0] = 1.0  # 3 rows up, 5 columns right
    np.testing.assert_array_equal(out_mask, expected)
    np.testing.assert_allclose(out_image[0, 7:15, 17:25, 0], 0.9, atol=1e-5)
    np.testing.assert_array_equal(out_mask, (out_image > 0.5).astype(np.float32))  # mask of the augmented image


def test_rotation_by_90_degrees_about_the_centre():
    mask = np.zeros((1, 9, 9, 1), np.float32)
    mask[0, 1, 4, 0] = 1.0  # above the centre
    t = transform_matrix([np.pi / 2], [1.0], [0.0], [0.0], 9, 9)
    out = apply_transform(tf.constant(mask), t, interpolation="nearest").numpy()
    assert np.argwhere(out[0, ..., 0]).tolist() in ([[4, 1]], [[4, 7]])  # a quarter turn either way


def test_random_augmentation_keeps_masks_binary_and_aligned():
    rng = np.random.default_rng(0)
    masks = (rng.random((8, 64, 64, 1)) > 0.5).astype(np.float32)
    masks = tf.nn.max_pool2d(masks, 8, 1, "SAME").numpy()  # blobs, not noise
    tf.random.set_seed(1)
    out_images, out_masks = augment_pair(masks, masks, AugmentRanges(shift=0.1, rotation=10, zoom=0.1), seed=3)
    out_images, out_masks = out_images.numpy(), out_masks.numpy()
    assert set(np.unique(out_masks)) <= {0.0, 1.0}
    agreement = np.mean((out_images > 0.5) == (out_masks > 0.5))
    assert agreement > 0.98
    assert not np.array_equal(out_masks, masks)  # something did move


def test_ranges_are_validated():
    with pytest.raises(ValueError, match="rotation must be between 0 and 180"):
        AugmentRanges(rotation=-5)
    assert not AugmentRanges(0, 0, 0).active
