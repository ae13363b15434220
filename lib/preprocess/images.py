"""Resizing and normalisation shared by the tasks (pure functions on numpy arrays)."""

from __future__ import annotations

import cv2
import numpy as np


def minmax(image: np.ndarray, *, eps: float = 1e-8) -> np.ndarray:
    """Scale one image to [0, 1] by its own minimum and maximum.

    Parameters
    ----------
    image : ndarray of any shape, numeric
    eps : float, keyword-only
        A constant image (max == min) becomes all zeros instead of dividing by zero.

    Returns
    -------
    ndarray of the same shape, float32 in [0, 1]. The input is not modified.
    """
    image = np.asarray(image, dtype=np.float32)
    lo, hi = float(image.min()), float(image.max())
    if hi - lo < eps:
        return np.zeros_like(image)
    return (image - lo) / (hi - lo)


def resize_image(image: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize an image (H, W) or (H, W, C) to ``size`` with Lanczos interpolation, keeping its dtype class.

    ``size`` is an int (square) or (height, width). Float output for float input; the values are not clipped.
    """
    h, w = (size, size) if isinstance(size, int) else size
    return cv2.resize(np.asarray(image), (int(w), int(h)), interpolation=cv2.INTER_LANCZOS4)


def resize_mask(mask: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize a label mask with nearest-neighbour interpolation, so no new label values appear.

    (The course passed ``cv2.INTER_NEAREST`` positionally, where cv2 reads it as ``dst``; the
    flag must go in ``interpolation=``.)
    """
    h, w = (size, size) if isinstance(size, int) else size
    return cv2.resize(np.asarray(mask), (int(w), int(h)), interpolation=cv2.INTER_NEAREST)


def to_uint8_unit(image01: np.ndarray) -> np.ndarray:
    """Quantise values in [0, 1] to uint8 0..255 (error at most 1/510), for compact caching."""
    return np.clip(np.rint(np.asarray(image01, np.float32) * 255.0), 0, 255).astype(np.uint8)


def from_uint8_unit(image: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_uint8_unit`: uint8 0..255 to float32 in [0, 1]."""
    return np.asarray(image, np.float32) / np.float32(255.0)
