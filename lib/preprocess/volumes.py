"""Lung 3D preprocessing: in-plane downsampling, HU scaling, sparse slice labels, training chunks.

Array conventions: volumes are (slices, rows, columns) with slices on axis 0, as in the Kaggle files;
model inputs add a trailing channel axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from lib.preprocess.images import ct_window

HU_SCALE = 3071.0  # the largest value a 12-bit CT stores; the course divides by it
IGNORE_LABEL = 2


def downsample_inplane(volume: np.ndarray, factor: int = 8) -> np.ndarray:
    """Keep every ``factor``-th row and column (axes 1 and 2); axis 0 is untouched.

    Parameters
    ----------
    volume : ndarray (N, H, W), any dtype
    factor : int >= 1

    Returns
    -------
    ndarray (N, ceil(H / factor), ceil(W / factor)), same dtype, a new contiguous array.
    """
    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise ValueError(f"volume must have 3 axes (slices, rows, columns), got shape {volume.shape}")
    if int(factor) != factor or factor < 1:
        raise ValueError(f"factor must be a positive whole number, got {factor!r}")
    return np.ascontiguousarray(volume[:, :: int(factor), :: int(factor)])


VOLUME_NORMALISATIONS = ("hu_scale", "lung_window")


def prepare_volume(image_hu: np.ndarray, mask: np.ndarray, *, hu_scale: float = HU_SCALE,
                   normalise: str = "hu_scale") -> tuple[np.ndarray, np.ndarray]:
    """Scale a (downsampled) CT volume and add the channel axis: ``"hu_scale"`` divides by ``hu_scale`` (the
    course's), ``"lung_window"`` maps a fixed HU window to [0, 1] (:func:`lib.preprocess.images.ct_window`).

    Parameters
    ----------
    image_hu : ndarray (N, H, W), Hounsfield units
    mask : ndarray (N, H, W), values in {0, 1} or {0, 255}
    hu_scale : float, keyword-only

    Returns
    -------
    image : ndarray (N, H, W, 1), float32, ``image_hu / hu_scale`` (about -0.85..1)
    mask : ndarray (N, H, W, 1), uint8 in {0, 1}

    Raises
    ------
    ValueError
        Shapes differ, or the image holds NaN / infinite values.
    """
    image_hu, mask = np.asarray(image_hu), np.asarray(mask)
    if image_hu.shape != mask.shape or image_hu.ndim != 3:
        raise ValueError(f"image and mask must be 3D with the same shape, got {image_hu.shape} and {mask.shape}")
    if normalise not in VOLUME_NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {', '.join(VOLUME_NORMALISATIONS)}, got {normalise!r}")
    if not np.isfinite(image_hu).all():
        raise ValueError(f"volume has {int((~np.isfinite(image_hu)).sum())} NaN or infinite voxels")
    image = ct_window(image_hu) if normalise == "lung_window" else image_hu.astype(np.float32) / np.float32(hu_scale)
    if not np.isfinite(image).all():
        raise ValueError(f"volume has {int((~np.isfinite(image)).sum())} NaN or infinite voxels")
    binary = (mask > (127 if mask.max(initial=0) > 1 else 0)).astype(np.uint8)
    return image[..., None], binary[..., None]


def sparse_labels(mask: np.ndarray, fraction: float, *, seed: int = 0, ignore_label: int = IGNORE_LABEL) -> np.ndarray:
    """Keep the labels of a random ``fraction`` of the slices along each of the three axes.

    As in the 3D U-Net paper's sparse annotation setting: a voxel keeps its label when it lies on a
    kept slice of at least one axis; every other voxel gets ``ignore_label``.

    Parameters
    ----------
    mask : ndarray (D, H, W) or (D, H, W, 1), values in {0, 1}
    fraction : float in (0, 1]
        Share of slices kept per axis; at least one slice per axis is always kept.
    seed : int, keyword-only
    ignore_label : int, keyword-only

    Returns
    -------
    ndarray of the mask's shape, uint8, values in {0, 1, ignore_label}.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    mask = np.asarray(mask)
    core = mask[..., 0] if mask.ndim == 4 else mask
    if core.ndim != 3:
        raise ValueError(f"mask must be (D, H, W) or (D, H, W, 1), got shape {mask.shape}")
    rng = np.random.default_rng(seed)
    labelled = np.zeros(core.shape, bool)
    for axis, n in enumerate(core.shape):
        keep = rng.choice(n, size=max(1, int(round(fraction * n))), replace=False)
        index = [slice(None)] * 3
        index[axis] = keep
        labelled[tuple(index)] = True
    out = np.where(labelled, core, ignore_label).astype(np.uint8)
    return out.reshape(mask.shape)


def labelled_fraction(labels: np.ndarray, *, ignore_label: int = IGNORE_LABEL) -> float:
    """Share of voxels that carry a label (not ``ignore_label``)."""
    labels = np.asarray(labels)
    return float(np.count_nonzero(labels != ignore_label)) / max(1, labels.size)


@dataclass(frozen=True)
class ChunkBatch:
    """x (B, depth, H, W, 1) float32; y (B, depth, H, W, 1) float32 in {0, 1}; w same shape, 1 labelled / 0 ignored."""

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    volume_index: np.ndarray  # (B,) which volume each chunk came from
    start: np.ndarray  # (B,) first slice of each chunk


def sample_chunks(images: Sequence[np.ndarray], labels: Sequence[np.ndarray], *, depth: int = 64, batch: int = 8,
                  rng: np.random.Generator, ignore_label: int = IGNORE_LABEL) -> ChunkBatch:
    """Sample ``batch`` sub-volumes of ``depth`` slices along axis 0.

    The volume is chosen with probability proportional to its slice count; the start slice is
    uniform over every valid position, the last one (``n - depth``) included. A volume shorter than
    ``depth`` is zero-padded at the end with weight 0 there.

    Parameters
    ----------
    images : sequence of ndarray (N_i, H, W, 1), float32
    labels : sequence of ndarray (N_i, H, W, 1), uint8 in {0, 1, ignore_label}
    depth, batch : int, keyword-only
    rng : numpy Generator, keyword-only

    Returns
    -------
    ChunkBatch
    """
    if len(images) != len(labels) or not images:
        raise ValueError(f"need the same, non-zero number of images and labels, got {len(images)} and {len(labels)}")
    for i, (x, y) in enumerate(zip(images, labels)):
        if x.shape != y.shape:
            raise ValueError(f"volume {i}: image shape {x.shape} differs from label shape {y.shape}")
    in_plane = images[0].shape[1:]
    sizes = np.array([x.shape[0] for x in images], float)
    which = rng.choice(len(images), size=batch, p=sizes / sizes.sum())
    xs = np.zeros((batch, depth) + in_plane, np.float32)
    ys = np.zeros_like(xs)
    ws = np.zeros_like(xs)
    starts = np.zeros(batch, np.int64)
    for b, v in enumerate(which):
        n = images[v].shape[0]
        start = int(rng.integers(0, max(0, n - depth) + 1))  # high is exclusive: n - depth is reachable
        stop = min(n, start + depth)
        lab = labels[v][start:stop]
        xs[b, : stop - start] = images[v][start:stop]
        ys[b, : stop - start] = (lab == 1)
        ws[b, : stop - start] = (lab != ignore_label)
        starts[b] = start
    return ChunkBatch(xs, ys, ws, which.astype(np.int64), starts)


def pad_slices(volume: np.ndarray, multiple: int) -> tuple[np.ndarray, int]:
    """Zero-pad axis 0 at the end up to a multiple of ``multiple``; returns (padded, original length)."""
    volume = np.asarray(volume)
    n = volume.shape[0]
    target = -(-n // multiple) * multiple
    if target == n:
        return volume, n
    pad = [(0, target - n)] + [(0, 0)] * (volume.ndim - 1)
    return np.pad(volume, pad), n


def crop_slices(volume: np.ndarray, length: int) -> np.ndarray:
    """Undo :func:`pad_slices`: keep the first ``length`` slices."""
    return np.asarray(volume)[:length]
