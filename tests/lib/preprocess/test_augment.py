import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lib.preprocess.augment import AugmentRanges, apply_transform, augment_pair, preview, transform_matrix


ROOT = Path(__file__).resolve().parents[3]


def _square(size=32):
    mask = np.zeros((size, size, 1), np.float32)
    mask[10:18, 12:20, 0] = 1.0
    return mask


def test_known_shift_moves_image_and_mask_alike():
    mask = _square()
    image = mask * 0.8 + 0.1
    t = transform_matrix(0.0, 1.0, 5.0, -3.0, 32, 32)
    out_image = apply_transform(image, t, interpolation="bilinear")
    out_mask = apply_transform(mask, t, interpolation="nearest")
    expected = np.zeros_like(mask)
    expected[7:15, 17:25, 0] = 1.0  # 3 rows up, 5 columns right
    np.testing.assert_array_equal(out_mask, expected)
    np.testing.assert_allclose(out_image[7:15, 17:25, 0], 0.9, atol=1e-5)
    np.testing.assert_array_equal(out_mask, (out_image > 0.5).astype(np.float32))  # mask of the augmented image


def test_rotation_by_90_degrees_about_the_centre():
    mask = np.zeros((9, 9, 1), np.float32)
    mask[1, 4, 0] = 1.0  # above the centre
    out = apply_transform(mask, transform_matrix(np.pi / 2, 1.0, 0.0, 0.0, 9, 9), interpolation="nearest")
    assert np.argwhere(out[..., 0]).tolist() == [[4, 1]]  # a quarter turn counter-clockwise: to the left


def test_random_augmentation_keeps_masks_binary_and_aligned():
    rng = np.random.default_rng(0)
    masks = np.zeros((8, 64, 64, 1), np.float32)
    for m in masks:
        y, x = rng.integers(8, 40, 2)
        m[y:y + 20, x:x + 16] = 1.0  # blobs, not noise
    out_images, out_masks = augment_pair(masks, masks, AugmentRanges(shift=0.1, rotation=10, zoom=0.1),
                                         rng=np.random.default_rng(3))
    assert set(np.unique(out_masks)) <= {0.0, 1.0}
    agreement = np.mean((out_images > 0.5) == (out_masks > 0.5))
    assert agreement > 0.98
    assert not np.array_equal(out_masks, masks)  # something did move
    same = preview(masks[:2], masks[:2], AugmentRanges(), seed=5)
    np.testing.assert_array_equal(same[1], preview(masks[:2], masks[:2], AugmentRanges(), seed=5)[1])  # seeded


def test_the_preview_needs_no_deep_learning_framework(processes):
    # Streamlit clears a Keras session after every script run when keras is imported: the server must not import it
    script = ("import sys, numpy as np; from lib.preprocess.augment import AugmentRanges, preview; "
              "preview(np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 1)), AugmentRanges()); "
              "print(sorted(m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr[-1000:]


def test_ranges_are_validated():
    with pytest.raises(ValueError, match="rotation must be between 0 and 180"):
        AugmentRanges(rotation=-5)
    assert not AugmentRanges(0, 0, 0).active
