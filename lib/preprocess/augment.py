"""Geometric augmentation for segmentation, applied identically to an image and its mask.

Random shift (fractions of width and height), rotation (degrees) and zoom, drawn once per sample
and applied to both the image (bilinear) and the mask (nearest neighbour, so it stays binary).
Written with TensorFlow ops so that it runs inside the ``tf.data`` input pipeline, batched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf


@dataclass(frozen=True)
class AugmentRanges:
    """Maximum shift (fraction of width / height), rotation (degrees) and zoom (fraction)."""

    shift: float = 0.1
    rotation: float = 10.0
    zoom: float = 0.1

    def __post_init__(self):
        for name, value, high in (("shift", self.shift, 0.5), ("rotation", self.rotation, 180.0), ("zoom", self.zoom, 0.9)):
            if not 0 <= float(value) <= high:
                raise ValueError(f"{name} must be between 0 and {high}, got {value!r}")

    @property
    def active(self) -> bool:
        return self.shift > 0 or self.rotation > 0 or self.zoom > 0


def transform_matrix(angle, zoom, shift_x, shift_y, height: int, width: int) -> tf.Tensor:
    """Projective transforms (batch, 8) mapping each *output* pixel to the input pixel it samples.

    Parameters
    ----------
    angle : (batch,) radians, counter-clockwise
    zoom : (batch,) scale factor (> 1 enlarges the content)
    shift_x, shift_y : (batch,) pixels (positive moves the content right / down)
    """
    angle, zoom = tf.cast(angle, tf.float32), tf.cast(zoom, tf.float32)
    shift_x, shift_y = tf.cast(shift_x, tf.float32), tf.cast(shift_y, tf.float32)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    # input = R(angle) / zoom @ (output - center - shift) + center
    ox, oy = cx + shift_x, cy + shift_y
    a0, a1 = cos, -sin
    b0, b1 = sin, cos
    a2 = cx - a0 * ox - a1 * oy
    b2 = cy - b0 * ox - b1 * oy
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def apply_transform(images: tf.Tensor, transforms: tf.Tensor, *, interpolation: str) -> tf.Tensor:
    """Apply (batch, 8) transforms to images (batch, H, W, C); outside pixels become 0."""
    shape = tf.shape(images)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=shape[1:3], fill_value=0.0,
        interpolation=interpolation.upper(), fill_mode="CONSTANT")


def random_transforms(batch, height: int, width: int, ranges: AugmentRanges, seed=None) -> tf.Tensor:
    """Draw ``batch`` transforms uniformly within ``ranges``."""
    def uniform(limit, offset):
        s = None if seed is None else (seed + offset)
        return tf.random.uniform([batch], -limit, limit, seed=s)

    angle = uniform(np.deg2rad(ranges.rotation), 1)
    zoom = 1.0 + uniform(ranges.zoom, 2)
    shift_x = uniform(ranges.shift * width, 3)
    shift_y = uniform(ranges.shift * height, 4)
    return transform_matrix(angle, zoom, shift_x, shift_y, height, width)


def augment_pair(images: tf.Tensor, masks: tf.Tensor, ranges: AugmentRanges, seed=None) -> tuple[tf.Tensor, tf.Tensor]:
    """Augment a batch of images (B, H, W, C) float and masks (B, H, W, 1) with the same random transforms.

    Returns the image batch (float32, bilinear) and the mask batch (its dtype, nearest neighbour, still binary).
    """
    images = tf.convert_to_tensor(images, tf.float32)
    mask_dtype = tf.as_dtype(masks.dtype) if hasattr(masks, "dtype") else tf.float32
    masks = tf.cast(masks, tf.float32)
    shape = tf.shape(images)
    transforms = random_transforms(shape[0], images.shape[1], images.shape[2], ranges, seed)
    out_images = apply_transform(images, transforms, interpolation="bilinear")
    out_masks = apply_transform(masks, transforms, interpolation="nearest")
    return out_images, tf.cast(out_masks, mask_dtype)


def preview(images: np.ndarray, masks: np.ndarray, ranges: AugmentRanges, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Augmented copies of a few numpy images (N, H, W, 1) and masks, for showing in the UI."""
    tf.random.set_seed(seed)
    out_images, out_masks = augment_pair(tf.constant(images, tf.float32), tf.constant(masks), ranges, seed=seed)
    return out_images.numpy(), out_masks.numpy()
