"""Geometric augmentation for segmentation, applied identically to an image and its mask.

Random shift (fractions of width and height), rotation (degrees) and zoom, drawn once per sample and
applied to both the image (bilinear) and the mask (nearest neighbour, so it stays binary), with OpenCV.
No TensorFlow: the same code runs in Lung 2D's training batches (``lib.tasks.lung2d.make_dataset``, any Keras
backend) and in the page's preview, whose server process then never imports a deep-learning framework.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


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


def transform_matrix(angle: float, zoom: float, shift_x: float, shift_y: float, height: int, width: int) -> np.ndarray:
    """The affine map (2, 3) from input to output pixels: rotate by ``angle`` radians (counter-clockwise as
    seen on screen) and scale by ``zoom`` (> 1 enlarges the content) about the centre, then shift by
    ``shift_x``, ``shift_y`` pixels (positive moves the content right / down)."""
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    matrix = cv2.getRotationMatrix2D((cx, cy), math.degrees(angle), zoom)
    matrix[0, 2] += shift_x
    matrix[1, 2] += shift_y
    return matrix


def apply_transform(image: np.ndarray, matrix: np.ndarray, *, interpolation: str) -> np.ndarray:
    """Warp one image (H, W) or (H, W, C) by ``matrix``; pixels from outside become 0. Same shape and dtype."""
    flag = {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}[interpolation]
    image = np.asarray(image)
    height, width = image.shape[:2]
    warped = cv2.warpAffine(image, matrix, (width, height), flags=flag, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return warped.reshape(image.shape)


def random_transforms(n: int, height: int, width: int, ranges: AugmentRanges, rng: np.random.Generator) -> np.ndarray:
    """``n`` transforms (n, 2, 3) drawn uniformly within ``ranges``."""
    angle = rng.uniform(-1, 1, n) * math.radians(ranges.rotation)
    zoom = 1.0 + rng.uniform(-1, 1, n) * ranges.zoom
    shift_x = rng.uniform(-1, 1, n) * ranges.shift * width
    shift_y = rng.uniform(-1, 1, n) * ranges.shift * height
    return np.stack([transform_matrix(a, z, x, y, height, width) for a, z, x, y in zip(angle, zoom, shift_x, shift_y)])


def augment_pair(images: np.ndarray, masks: np.ndarray, ranges: AugmentRanges, *,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Augment a batch of images (B, H, W, C) and masks (B, H, W, 1) with the same random transform per sample.

    Returns the images as float32 (bilinear) and the masks in their dtype (nearest neighbour: still binary).
    The inputs are not modified.
    """
    images = np.asarray(images, np.float32)
    masks = np.asarray(masks)
    if images.shape[:3] != masks.shape[:3]:
        raise ValueError(f"images and masks must match, got {images.shape} and {masks.shape}")
    transforms = random_transforms(len(images), images.shape[1], images.shape[2], ranges, rng)
    out_images = np.stack([apply_transform(x, t, interpolation="bilinear") for x, t in zip(images, transforms)])
    out_masks = np.stack([apply_transform(y, t, interpolation="nearest") for y, t in zip(masks, transforms)])
    return out_images, out_masks


def preview(images: np.ndarray, masks: np.ndarray, ranges: AugmentRanges, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Augmented copies of a few images (N, H, W, 1) and masks, for showing in the UI (the training code's own)."""
    return augment_pair(images, masks, ranges, rng=np.random.default_rng(seed))
