"""Lung 2D preprocessing: CT slice and mask to the model's size and value range."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from lib.data.ct_slices import BadFileError, SlicePair, load_lung2d_pair
from lib.data.check import Problem
from lib.preprocess.images import looks_like_hu, normalise_ct, resize_image, resize_mask


def preprocess_slice(image: np.ndarray, mask: np.ndarray, *, size: int = 128,
                     normalise: str = "minmax") -> tuple[np.ndarray, np.ndarray]:
    """Resize a slice (Lanczos) and its mask (nearest neighbour), then normalise the slice to [0, 1]:
    ``"minmax"`` (the course's, per slice) or ``"lung_window"`` (a fixed HU window; see
    :func:`lib.preprocess.images.ct_window`). Any size in, ``size`` x ``size`` out.

    Parameters
    ----------
    image : ndarray (H, W), numeric (HU or raw values)
    mask : ndarray (H, W), values in {0, 1} (or {0, 255})
    size : int, keyword-only

    Returns
    -------
    image : ndarray (size, size), float32 in [0, 1]
    mask : ndarray (size, size), uint8 in {0, 1}
    """
    x, y, _ = _preprocess(image, mask, size, normalise)
    return x, y


def _preprocess(image, mask, size: int, normalise: str) -> tuple[np.ndarray, np.ndarray, bool]:
    image, mask = np.asarray(image), np.asarray(mask)
    if image.ndim != 2 or mask.shape != image.shape:
        raise ValueError(f"image and mask must be 2D with the same shape, got {image.shape} and {mask.shape}")
    small = resize_image(image.astype(np.float32), size)
    small_mask = resize_mask((mask > 0).astype(np.uint8), size)
    normalised, as_asked = normalise_ct(small, normalise, hu=looks_like_hu(image))
    return normalised, small_mask, as_asked


@dataclass
class SliceArrays:
    """images (N, size, size, 1) float32 in [0, 1]; masks (N, size, size, 1) uint8 in {0, 1}."""

    images: np.ndarray
    masks: np.ndarray
    names: list[str]
    problems: list[Problem] = field(default_factory=list)


def load_slices(pairs: Sequence[SlicePair], *, size: int = 128, normalise: str = "minmax",
                progress: Callable[[int, int], None] | None = None) -> SliceArrays:
    """Read and preprocess every pair; a bad pair is skipped and reported, never fatal. A slice that cannot be
    windowed (not in Hounsfield units) is min-maxed instead and reported as a ``not_hu`` problem (still used)."""
    images, masks, names, problems = [], [], [], []
    for i, pair in enumerate(pairs):
        try:
            image, mask = load_lung2d_pair(pair)
        except BadFileError as exc:
            problems.append(Problem(pair.name, "bad_file", str(exc)))
            continue
        x, y, as_asked = _preprocess(image, mask, size, normalise)
        if not as_asked:
            problems.append(Problem(pair.name, "not_hu", f"{pair.name} holds no value below -200, so not Hounsfield "
                                                         "units: min-max scaled instead of the lung window"))
        images.append(x)
        masks.append(y)
        names.append(pair.name)
        if progress is not None:
            progress(i + 1, len(pairs))
    shape = (0, size, size, 1)
    return SliceArrays(
        images=np.stack(images)[..., None] if images else np.zeros(shape, np.float32),
        masks=np.stack(masks)[..., None] if masks else np.zeros(shape, np.uint8),
        names=names,
        problems=problems,
    )
