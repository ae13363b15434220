"""Reader for the 3D part of Kaggle's ``kmader/finding-lungs-in-ct-data``.

Layout::

    ROOT/3d_images/IMG_0002.nii.gz    a CT volume, slices on axis 0, each 512x512, Hounsfield units
    ROOT/3d_images/MASK_0002.nii.gz   its lung mask, same shape, values 0 / 255

Volumes are read through nibabel's array proxy in their on-disk dtype (int16 for the Kaggle files),
then strided in-plane, so no float64 copy of a full-resolution volume is ever made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from lib.data.check import DatasetCheck, is_synthetic, list_files, missing_folders

NAME = "lung CT volumes"
VOLUMES_DIR = "3d_images"
_IMAGE_RE = re.compile(r"^IMG_(\d+)\.nii(\.gz)?$")
_MASK_RE = re.compile(r"^MASK_(\d+)\.nii(\.gz)?$")


@dataclass(frozen=True)
class VolumePair:
    volume_id: str  # "0002"
    image_path: Path
    mask_path: Path
    shape: tuple[int, ...] = ()
    spacing: tuple[float, ...] = (1.0, 1.0, 1.0)  # voxel size along (slices, rows, columns) from the header, mm


class BadVolumeError(ValueError):
    """A volume that cannot be used; the message names the file and says why."""


def _open(path: Path) -> nib.Nifti1Image:
    try:
        return nib.load(str(path))
    except Exception as exc:  # nibabel raises several types for damaged headers
        raise BadVolumeError(f"{path.name} cannot be read as NIfTI ({type(exc).__name__}: {exc})") from exc


def _spacing(image: nib.Nifti1Image) -> tuple[float, float, float]:
    """The voxel size from the header; 1 mm where the header says nothing usable (zero, NaN, absurd)."""
    try:
        zooms = [float(z) for z in image.header.get_zooms()[:3]]
    except Exception:  # noqa: BLE001 - a header without zooms is still a volume
        zooms = []
    zooms = [z if np.isfinite(z) and 0 < z < 1000 else 1.0 for z in zooms] + [1.0] * (3 - len(zooms))
    return tuple(zooms[:3])


def _check_headers(pair: VolumePair) -> tuple[tuple[int, ...], tuple[float, float, float]]:
    """(shape, voxel size) from the two headers; BadVolumeError when they do not make a usable pair."""
    image, mask = _open(pair.image_path), _open(pair.mask_path)
    if len(image.shape) != 3:
        raise BadVolumeError(f"{pair.image_path.name} has shape {image.shape}, expected 3 axes (slices, rows, columns)")
    if tuple(mask.shape) != tuple(image.shape):
        raise BadVolumeError(f"{pair.mask_path.name} has shape {mask.shape} but {pair.image_path.name} has {image.shape}")
    return tuple(int(s) for s in image.shape), _spacing(image)


def _scaled(image: nib.Nifti1Image, values: np.ndarray, path: Path) -> np.ndarray:
    """Apply the header's scale slope and intercept (in place, float32); BadVolumeError naming the file when
    the result is not finite (a slope of 3e38 turns every voxel into infinity)."""
    slope, inter = image.dataobj.slope, image.dataobj.inter
    with np.errstate(over="ignore", invalid="ignore"):
        if slope is not None and np.isfinite(slope) and slope not in (0, 1):
            values *= np.float32(slope)
        if inter is not None and np.isfinite(inter) and inter != 0:
            values += np.float32(inter)
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise BadVolumeError(f"{path.name} has {bad} NaN or infinite voxels once scaled by its header "
                             f"(scale slope {slope}, intercept {inter})")
    return values


def _scan(path: Path, *, mask: bool, chunk_voxels: int = 8_000_000) -> None:
    """Read a volume a few slices at a time and check what training will check: finite values after scaling,
    and for a mask, values 0 / 1 or 0 / 255. Memory stays bounded whatever the volume's size (no memory map:
    its pages would count against the process as it reads through a large file)."""
    try:
        image = nib.Nifti1Image.from_filename(str(path), mmap=False, keep_file_open=True)  # forward reads only
    except Exception as exc:
        raise BadVolumeError(f"{path.name} cannot be read as NIfTI ({type(exc).__name__}: {exc})") from exc
    shape = image.shape
    # NIfTI stores the first axis fastest: blocks along the *last* axis are contiguous on disk (blocks of
    # axis-0 slices would make nibabel read the whole file for each one)
    step = max(1, chunk_voxels // max(1, int(np.prod(shape[:-1]))))
    seen_one = seen_255 = False
    for start in range(0, shape[-1], step):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                values = np.asarray(image.dataobj[..., start:start + step]).astype(np.float32)  # as training stores them
        except Exception as exc:  # truncated gzip, short file
            raise BadVolumeError(f"{path.name} is damaged ({type(exc).__name__}: {exc})") from exc
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            raise BadVolumeError(f"{path.name} has {bad} NaN or infinite voxels once scaled by its header "
                                 f"(scale slope {image.dataobj.slope}, intercept {image.dataobj.inter})")
        if mask:
            ones, full = values == 1, values == 255
            odd = ~(ones | full | (values == 0))
            seen_one, seen_255 = seen_one or bool(ones.any()), seen_255 or bool(full.any())
            if odd.any() or (seen_one and seen_255):
                shown = sorted(set(np.unique(values[odd])[:4].tolist()) | {0.0} | ({1.0} if seen_one else set())
                               | ({255.0} if seen_255 else set()))
                raise BadVolumeError(f"{path.name} has values {', '.join(f'{v:g}' for v in shown)}; expected 0 and 255")


def _read_strided(path: Path, stride: int) -> np.ndarray:
    image = _open(path)
    try:
        raw = np.asanyarray(image.dataobj.get_unscaled())  # on-disk dtype, no float64 copy
    except Exception as exc:  # truncated gzip, short file
        raise BadVolumeError(f"{path.name} is damaged ({type(exc).__name__}: {exc})") from exc
    if np.issubdtype(raw.dtype, np.floating):
        bad = int(np.count_nonzero(~np.isfinite(raw)))
        if bad:
            raise BadVolumeError(f"{path.name} has {bad} NaN or infinite voxels")
    # in-plane step only: slices (axis 0) are kept whole
    strided = np.ascontiguousarray(raw[:, ::stride, ::stride]) if raw.ndim == 3 else raw
    del raw
    out = _scaled(image, strided.astype(np.float32), path)
    return out


def load_volume(pair: VolumePair, *, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Read one CT volume and its mask, keeping every ``stride``-th row and column.

    Parameters
    ----------
    pair : VolumePair
    stride : int, keyword-only
        In-plane step (axes 1 and 2); axis 0 (slices) is kept whole. 8 turns 512x512 into 64x64.

    Returns
    -------
    image : ndarray of shape (N, H // stride, W // stride), float32, Hounsfield units as stored
    mask : ndarray of the same shape, uint8 in {0, 1}

    Raises
    ------
    BadVolumeError
        Naming the file: unreadable, damaged, not 3D, shapes differ, NaN voxels, mask values
        other than 0 / 255 (or 0 / 1).
    """
    if stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride}")
    _check_headers(pair)
    image = _read_strided(pair.image_path, stride)
    mask_values = _read_strided(pair.mask_path, stride)
    values = set(np.unique(mask_values).tolist())
    if values <= {0.0, 1.0}:
        mask = mask_values.astype(np.uint8)
    elif values <= {0.0, 255.0}:
        mask = (mask_values == 255).astype(np.uint8)
    else:
        shown = ", ".join(f"{v:g}" for v in sorted(values)[:6])
        raise BadVolumeError(f"{pair.mask_path.name} has values {shown}; expected 0 and 255")
    return image, mask


def read_lung3d(root: str | Path, *, deep: bool = False) -> DatasetCheck:
    """Find and validate the volume/mask pairs.

    Parameters
    ----------
    root : path
        The folder holding ``3d_images/``.
    deep : bool, keyword-only
        Also read every voxel, a few slices at a time (bounded memory), and check what training checks:
        truncated files, NaN or infinite voxels after the header's scaling, mask values. Seconds per real
        volume. Without it only the headers are read (shapes).

    Returns
    -------
    DatasetCheck
        ``items`` is a list of :class:`VolumePair` (with ``shape``); problems: ``missing_mask``,
        ``missing_image``, ``bad_file``. ``summary`` lists each volume's shape.
    """
    root = Path(root)
    report = DatasetCheck(name=NAME, path=root, synthetic=is_synthetic(root))
    folder = root / VOLUMES_DIR
    report.fatal = missing_folders(root, VOLUMES_DIR)
    if report.fatal:
        return report
    images: dict[str, Path] = {}
    masks: dict[str, Path] = {}
    try:
        names = list_files(folder)
    except OSError as exc:
        report.fatal = f"folder {VOLUMES_DIR}/ in {root} cannot be read ({exc.strerror or exc})"
        return report
    for name in names:
        if m := _IMAGE_RE.match(name):
            images.setdefault(m.group(1), folder / name)  # IMG_0002.nii.gz and IMG_0002.nii: the first, sorted
        elif m := _MASK_RE.match(name):
            masks.setdefault(m.group(1), folder / name)
    for volume_id, image_path in images.items():
        if volume_id not in masks:
            report.add(f"{VOLUMES_DIR}/{image_path.name}", "missing_mask", f"no MASK_{volume_id}.nii.gz beside it")
            continue
        pair = VolumePair(volume_id, image_path, masks[volume_id])
        try:
            shape, spacing = _check_headers(pair)
            if deep:
                _scan(pair.image_path, mask=False)
                _scan(pair.mask_path, mask=True)
        except BadVolumeError as exc:
            report.add(f"{VOLUMES_DIR}/{image_path.name}", "bad_file", str(exc))
            continue
        report.items.append(VolumePair(volume_id, image_path, masks[volume_id], shape, spacing))
    for volume_id, mask_path in masks.items():
        if volume_id not in images:
            report.add(f"{VOLUMES_DIR}/{mask_path.name}", "missing_image", f"no IMG_{volume_id}.nii.gz beside it")
    report.summary = {"volumes": {p.volume_id: "x".join(map(str, p.shape)) for p in report.items}}
    if not report.items and report.fatal is None:
        report.fatal = "no usable volume/mask pair"
    return report
