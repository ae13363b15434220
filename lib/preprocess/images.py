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


LUNG_WINDOW = (-500.0, 1500.0)  # (level, width) in HU: air and scanner padding 0, lung about 0.27, soft tissue 0.85
NORMALISATIONS = ("lung_window", "minmax")


def looks_like_hu(image: np.ndarray) -> bool:
    """True when an image holds Hounsfield units: some air (below -200). Raw scanner values start at 0."""
    return bool(np.asarray(image).min() < -200)


def ct_window(image: np.ndarray, *, level: float = LUNG_WINDOW[0], width: float = LUNG_WINDOW[1]) -> np.ndarray:
    """Map Hounsfield units to [0, 1] through a fixed clinical window: ``level - width / 2`` and below is 0,
    ``level + width / 2`` and above is 1.

    Unlike a per-image min-max, a fixed window does not depend on what else is in the image: the padding
    outside a scanner's field of view (-2048 or -3024 HU) is simply 0, instead of stretching the scale so
    far that lungs, fat and muscle are squeezed into a few grey levels.

    Examples
    --------
    >>> [round(float(v), 3) for v in ct_window(np.array([-3024.0, -1250.0, -850.0, 250.0, 1000.0]))]
    [0.0, 0.0, 0.267, 1.0, 1.0]
    """
    if width <= 0:
        raise ValueError(f"window width must be positive, got {width}")
    low = level - width / 2
    return np.clip((np.asarray(image, np.float32) - np.float32(low)) / np.float32(width), 0.0, 1.0)


def normalise_ct(image: np.ndarray, mode: str, *, hu: bool | None = None) -> tuple[np.ndarray, bool]:
    """Normalise one CT image (or volume) to [0, 1]: ``"lung_window"`` (:func:`ct_window`) or ``"minmax"``.

    Returns (normalised float32, whether the requested mode was used): an image that does not hold
    Hounsfield units (:func:`looks_like_hu`) cannot be windowed and falls back to min-max. ``hu`` gives that
    answer when it was found before (on the image before resizing, whose ringing can dip below -200).
    """
    if mode not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {', '.join(NORMALISATIONS)}, got {mode!r}")
    if mode == "lung_window" and (looks_like_hu(image) if hu is None else hu):
        return ct_window(image), True
    return minmax(image), mode == "minmax"
