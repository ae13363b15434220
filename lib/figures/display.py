"""Turning CT values and masks into RGB images for display."""

from __future__ import annotations

import cv2
import numpy as np

# The outcome colours live in one palette (lib.figures.palette), safe for every colour vision; named here too, where
# callers have always found them.
from lib.figures.palette import ERROR_ALPHA, FN_RGB, FP_RGB, LABELLED_BACKGROUND_RGB, LABELLED_LUNG_RGB, TP_RGB

LUNG_WINDOW = (-600.0, 1500.0)  # (level, width) in HU: lungs grey, soft tissue light, air black
MASK_RGB = (0, 200, 255)


def window(image: np.ndarray, *, level: float = LUNG_WINDOW[0], width: float = LUNG_WINDOW[1]) -> np.ndarray:
    """Map values (HU) to grey uint8 with a display window: ``level - width/2`` black, ``level + width/2`` white.

    Parameters
    ----------
    image : ndarray of any shape, numeric

    Returns
    -------
    ndarray of the same shape, uint8.
    """
    if width <= 0:
        raise ValueError(f"window width must be positive, got {width}")
    lo = level - width / 2
    scaled = (np.asarray(image, np.float32) - lo) * (255.0 / width)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def to_grey_uint8(image01: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (any float image) to grey uint8."""
    return np.clip(np.asarray(image01, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def overlay(grey: np.ndarray, mask: np.ndarray, *, rgb=MASK_RGB, alpha: float = 0.4) -> np.ndarray:
    """Tint the pixels where ``mask`` is set.

    Parameters
    ----------
    grey : ndarray (H, W), uint8
    mask : ndarray (H, W), bool or {0, 1} / {0, 255}
    rgb : colour of the tint, keyword-only
    alpha : float in [0, 1], keyword-only

    Returns
    -------
    ndarray (H, W, 3), uint8.
    """
    grey, mask = np.asarray(grey), np.asarray(mask)
    if grey.shape != mask.shape or grey.ndim != 2:
        raise ValueError(f"grey image and mask must be 2D with the same shape, got {grey.shape} and {mask.shape}")
    out = np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
    sel = mask > 0
    out[sel] = (1 - alpha) * out[sel] + alpha * np.asarray(rgb, np.float32)
    return out.astype(np.uint8)


def error_overlay(grey: np.ndarray, truth: np.ndarray, prediction: np.ndarray, *, alpha: float = ERROR_ALPHA,
                  outline: bool = False) -> np.ndarray:
    """Colour true positives, false positives and false negatives (TP_RGB, FP_RGB, FN_RGB: lib.figures.palette).

    Parameters
    ----------
    grey : ndarray (H, W), uint8
    truth, prediction : ndarray (H, W), binary
    alpha : float in [0, 1], keyword-only: how much of the colour fills each region
    outline : bool, keyword-only: draw only each region's border (its pixels with a 4-neighbour outside it, or on the
        image's edge) in full colour, the CT inside left as it is

    Returns
    -------
    ndarray (H, W, 3), uint8.
    """
    truth, prediction = np.asarray(truth) > 0, np.asarray(prediction) > 0
    if truth.shape != prediction.shape:
        raise ValueError(f"truth and prediction must have the same shape, got {truth.shape} and {prediction.shape}")
    regions = ((truth & prediction, TP_RGB), (~truth & prediction, FP_RGB), (truth & ~prediction, FN_RGB))
    out = overlay(grey, np.zeros_like(truth), alpha=0.0)  # the grey slice as RGB
    for sel, rgb in regions:
        if outline:
            sel, strength = border(sel), 1.0
        else:
            strength = alpha
        out[sel] = ((1 - strength) * out[sel] + strength * np.asarray(rgb, np.float32)).astype(np.uint8)
    return out


def border(mask: np.ndarray) -> np.ndarray:
    """The pixels of a 2D boolean ``mask`` with a 4-neighbour outside it (the image's edge counts as outside).

    Examples
    --------
    >>> border(np.ones((3, 3), bool)).astype(int).tolist()
    [[1, 1, 1], [1, 0, 1], [1, 1, 1]]
    """
    mask = np.asarray(mask, bool)
    inside = np.pad(mask, 1)
    interior = inside[:-2, 1:-1] & inside[2:, 1:-1] & inside[1:-1, :-2] & inside[1:-1, 2:]
    return mask & ~interior


def plane(volume: np.ndarray, axis: int, index: int) -> np.ndarray:
    """One slice of a (D, H, W[, 1]) volume across ``axis`` (0 axial, 1 coronal, 2 sagittal), as (rows, cols)."""
    volume = np.asarray(volume)
    if volume.ndim == 4:
        volume = volume[..., 0]
    if volume.ndim != 3 or axis not in (0, 1, 2):
        raise ValueError(f"need a 3D volume and axis 0-2, got shape {volume.shape} and axis {axis}")
    if not 0 <= index < volume.shape[axis]:
        raise IndexError(f"slice {index} is outside 0..{volume.shape[axis] - 1} on axis {axis}")
    return np.take(volume, index, axis=axis)


def square_pixels(image: np.ndarray, pixel_size: tuple[float, float], *, longest: int = 512) -> np.ndarray:
    """Resample a slice (nearest neighbour) so that its pixels are square in millimetres and its longer side is
    ``longest``: a coronal plane of 128 slices 1 mm apart by 64 columns 5.6 mm apart is wider than tall, as the
    patient is, not stretched to 128 x 64.

    Examples
    --------
    >>> square_pixels(np.zeros((128, 64), np.uint8), (1.0, 5.6)).shape
    (183, 512)
    """
    rows, cols = image.shape[:2]
    height, width = rows * float(pixel_size[0]), cols * float(pixel_size[1])
    scale = longest / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(np.ascontiguousarray(image), size, interpolation=cv2.INTER_NEAREST)



def sparse_overlay(grey: np.ndarray, labels: np.ndarray, *, ignore_label: int = 2, alpha: float = 0.45,
                   background_alpha: float = 0.25) -> np.ndarray:
    """Show sparse labels on a slice without hiding the anatomy: labelled lung green, labelled background a light
    amber tint, voxels without a label left as they are (so the labelled slices show as lines across the other
    planes).

    Parameters
    ----------
    grey : ndarray (H, W), uint8
    labels : ndarray (H, W), values in {0, 1, ignore_label}
    """
    labels = np.asarray(labels)
    out = overlay(grey, labels == 1, rgb=LABELLED_LUNG_RGB, alpha=alpha)
    tint = labels == 0
    out[tint] = ((1 - background_alpha) * out[tint] + background_alpha * np.asarray(LABELLED_BACKGROUND_RGB, np.float32)
                 ).astype(np.uint8)
    return out


def projection(volume: np.ndarray, axis: int, *, kind: str = "mean") -> np.ndarray:
    """Project a (D, H, W[, 1]) volume along ``axis``: "mean" for CT values, "max" for masks."""
    volume = np.asarray(volume, dtype=np.float32)
    if volume.ndim == 4:
        volume = volume[..., 0]
    if kind not in ("mean", "max"):
        raise ValueError(f"kind must be 'mean' or 'max', got {kind!r}")
    return volume.mean(axis=axis) if kind == "mean" else volume.max(axis=axis)


def busiest_index(mask: np.ndarray, axis: int) -> int:
    """The slice across ``axis`` holding the most foreground (the middle one when the mask is empty)."""
    mask = np.asarray(mask)
    if mask.ndim == 4:
        mask = mask[..., 0]
    other = tuple(a for a in range(3) if a != axis)
    counts = (mask > 0).sum(axis=other)
    return int(np.argmax(counts)) if counts.any() else mask.shape[axis] // 2


def ct_grey(values: np.ndarray, normalise: str, *, hu_scale: float = 3071.0) -> np.ndarray:
    """Grey uint8 for display of CT values as a model saw them: ``"hu_scale"`` values (HU / ``hu_scale``) through
    the lung display window, ``"lung_window"`` values (already a [0, 1] window) as they are."""
    if normalise == "lung_window":
        return to_grey_uint8(values)
    return window(np.asarray(values, np.float32) * hu_scale)


def enlarge(image: np.ndarray, *, at_least: int = 512) -> np.ndarray:
    """``image`` (H, W) or (H, W, 3) repeated pixel by pixel (nearest neighbour, a whole factor) until its longer side
    is at least ``at_least``: a 128-pixel overlay shown 500 pixels wide keeps crisp one-pixel error fringes instead of
    the browser's blur.

    Examples
    --------
    >>> enlarge(np.zeros((128, 100), np.uint8)).shape
    (512, 400)
    >>> enlarge(np.zeros((600, 600, 3), np.uint8)).shape
    (600, 600, 3)
    """
    factor = max(1, -(-at_least // max(image.shape[:2])))
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def augmentation_pairs(images: np.ndarray, masks: np.ndarray, augmented: np.ndarray, augmented_masks: np.ndarray, *,
                       at_least: int = 320, gap: int = 8) -> list[np.ndarray]:
    """Original i beside augmented i, each with its mask overlaid: one RGB uint8 image per pair (the preview).

    Parameters
    ----------
    images, augmented : (N, H, W, 1) float in [0, 1]; masks, augmented_masks : (N, H, W, 1) {0, 1}
    """
    pairs = []
    for image, mask, aug, aug_mask in zip(images, masks, augmented, augmented_masks):
        left = enlarge(overlay(to_grey_uint8(image[..., 0]), mask[..., 0]), at_least=at_least)
        right = enlarge(overlay(to_grey_uint8(aug[..., 0]), aug_mask[..., 0]), at_least=at_least)
        spacer = np.full((left.shape[0], gap, 3), 255, np.uint8)
        pairs.append(np.concatenate([left, spacer, right], axis=1))
    return pairs
