"""The round fundus as the unit of preprocessing: find it in its black border and crop a square around it.

Fundus cameras record a bright disc of retina on a black background, in photos of many sizes and
aspect ratios (2592x1944, 3888x2592, 4752x3168, ...), often with the disc cut off at the top and
bottom. Resizing such a photo straight to a square squashes the disc into an ellipse, and how much
depends on the camera. Cropping first a square centred on the disc, as wide as the disc, keeps it
round and the same size in every photo; the plain resize stays available for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FundusBox:
    """The disc's centre (row, column) and diameter in pixels, and whether it was found at all."""

    cy: float
    cx: float
    diameter: float
    found: bool = True


def find_fundus(rgb: np.ndarray, *, min_share: float = 0.02) -> FundusBox:
    """Locate the bright fundus disc in a photo.

    The border is near black but noisy (JPEG artefacts, a faint glow): a pixel belongs to the disc when
    its mean brightness exceeds a threshold set from the photo itself (15 % of its 95th percentile,
    at least 8 and at most 40 grey levels), and a row or column counts when at least ``min_share`` of
    its pixels do. The diameter is the larger of the disc's width and height, because the disc is
    often cut off at the top and bottom but rarely at the sides.

    Parameters
    ----------
    rgb : ndarray (H, W, 3) or (H, W), uint8 or float in the same scale

    Returns
    -------
    FundusBox; ``found`` is False (and the box is the whole photo) when nothing stands out from the border.

    Examples
    --------
    >>> photo = np.zeros((60, 90, 3), np.uint8)
    >>> yy, xx = np.mgrid[:60, :90]
    >>> photo[(yy - 30) ** 2 + (xx - 40) ** 2 < 25 ** 2] = 150
    >>> box = find_fundus(photo)
    >>> (box.cy, box.cx, box.diameter)
    (30.0, 40.0, 49.0)
    """
    image = np.asarray(rgb, dtype=np.float32)
    grey = image.mean(axis=2) if image.ndim == 3 else image
    h, w = grey.shape
    threshold = float(np.clip(0.15 * np.percentile(grey, 95), 8.0, 40.0))
    bright = grey > threshold
    rows = np.flatnonzero(bright.mean(axis=1) > min_share)
    cols = np.flatnonzero(bright.mean(axis=0) > min_share)
    if rows.size == 0 or cols.size == 0:
        return FundusBox((h - 1) / 2, (w - 1) / 2, float(max(h, w)), found=False)
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    return FundusBox(float(rows[0] + rows[-1]) / 2, float(cols[0] + cols[-1]) / 2, float(max(height, width)))


def crop_square(image: np.ndarray, box: FundusBox, *, margin: float = 0.0) -> np.ndarray:
    """The square of side ``box.diameter * (1 + margin)`` centred on the disc, padded with black where it
    leaves the photo. The input is not modified.

    Returns
    -------
    ndarray (side, side[, C]), the input's dtype.
    """
    image = np.asarray(image)
    side = max(1, int(round(box.diameter * (1 + margin))))
    top = int(round(box.cy - (side - 1) / 2))
    left = int(round(box.cx - (side - 1) / 2))
    out = np.zeros((side, side) + image.shape[2:], image.dtype)
    src_top, src_left = max(0, top), max(0, left)
    src_bottom, src_right = min(image.shape[0], top + side), min(image.shape[1], left + side)
    if src_bottom > src_top and src_right > src_left:
        out[src_top - top:src_bottom - top, src_left - left:src_right - left] = image[src_top:src_bottom, src_left:src_right]
    return out


def crop_fundus(rgb: np.ndarray) -> np.ndarray:
    """:func:`find_fundus` then :func:`crop_square`; the photo itself when no disc stands out."""
    box = find_fundus(rgb)
    return crop_square(rgb, box) if box.found else np.asarray(rgb)
