"""Reader for the 2D part of Kaggle's ``kmader/finding-lungs-in-ct-data``.

Layout::

    ROOT/2d_images/ID_0000_Z_0142.tif   a CT slice (512x512, Hounsfield units or raw values)
    ROOT/2d_masks/ID_0000_Z_0142.tif    its lung mask, same file name, values 0 / 255
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile

from lib.data.check import DatasetCheck, is_synthetic, list_files, missing_folders

NAME = "lung CT slices"
IMAGES_DIR = "2d_images"
MASKS_DIR = "2d_masks"
TIFF_EXTENSIONS = (".tif", ".tiff")
MASK_VALUES = (0, 255)
MAX_SLICE_PIXELS = 4096 * 4096  # a CT slice is 512x512 (at most a few thousand pixels across)


@dataclass(frozen=True)
class SlicePair:
    name: str  # the file name shared by image and mask
    image_path: Path
    mask_path: Path


class BadFileError(ValueError):
    """A file that cannot be used; the message names it and says why."""


def _read_tiff(path: Path) -> np.ndarray:
    """The first image of a TIFF, after checking its header's size (a tiny compressed file can declare
    20000x20000 pixels and take gigabytes to decode)."""
    try:
        with tifffile.TiffFile(path) as tif:
            shape = tif.series[0].shape
            if int(np.prod(shape)) > MAX_SLICE_PIXELS:
                raise BadFileError(f"{path.name} is {'x'.join(map(str, shape))} pixels, far more than a CT slice "
                                   f"(at most {MAX_SLICE_PIXELS} pixels): not read")
            array = tif.asarray()
    except BadFileError:
        raise
    except Exception as exc:  # tifffile raises many types for damaged files
        raise BadFileError(f"{path.name} cannot be read as TIFF ({type(exc).__name__}: {exc})") from exc
    return np.asarray(array)


def load_lung2d_pair(pair: SlicePair) -> tuple[np.ndarray, np.ndarray]:
    """Read and check one slice and its mask.

    Returns
    -------
    image : ndarray of shape (H, W), the file's dtype (float or integer), finite values
    mask : ndarray of shape (H, W), uint8 in {0, 1}

    Raises
    ------
    BadFileError
        Naming the file: unreadable, not 2D, shapes differ, NaN / inf pixels, mask values other
        than 0 and 255 (or 0 and 1).
    """
    image = _read_tiff(pair.image_path)
    mask = _read_tiff(pair.mask_path)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if mask.ndim == 3 and mask.shape[-1] == 1:
        mask = mask[..., 0]
    if image.ndim != 2:
        raise BadFileError(f"{IMAGES_DIR}/{pair.name} has shape {image.shape}, expected a 2D slice")
    if mask.shape != image.shape:
        raise BadFileError(
            f"{MASKS_DIR}/{pair.name} has shape {mask.shape} but its image has shape {image.shape}"
        )
    if not np.issubdtype(image.dtype, np.number):
        raise BadFileError(f"{IMAGES_DIR}/{pair.name} has non-numeric pixels ({image.dtype})")
    if np.issubdtype(image.dtype, np.floating) and not np.isfinite(image).all():
        raise BadFileError(f"{IMAGES_DIR}/{pair.name} has {int((~np.isfinite(image)).sum())} NaN or infinite pixels")
    values = np.unique(mask)
    if set(values.tolist()) <= {0, 1}:
        binary = mask.astype(np.uint8)
    elif set(values.tolist()) <= set(MASK_VALUES):
        binary = (mask == 255).astype(np.uint8)
    else:
        shown = ", ".join(str(v) for v in values[:6].tolist())
        raise BadFileError(f"{MASKS_DIR}/{pair.name} has values {shown}{'...' if values.size > 6 else ''}; expected 0 and 255")
    return image, binary


def _tiff_names(folder: Path) -> dict[str, Path]:
    """{file name: path} of the TIFFs in ``folder``; raises OSError when the folder cannot be listed."""
    return {name: folder / name for name in list_files(folder) if Path(name).suffix.lower() in TIFF_EXTENSIONS}


def read_lung2d(root: str | Path, *, check_files: bool = True) -> DatasetCheck:
    """Read and validate the 2D slices and masks.

    Parameters
    ----------
    root : path
        The folder holding ``2d_images/`` and ``2d_masks/``.
    check_files : bool, keyword-only
        Open every pair to check it (shapes, values); otherwise only pair names are matched.

    Returns
    -------
    DatasetCheck
        ``items`` is a list of :class:`SlicePair`; problems: ``missing_mask``, ``missing_image``,
        ``bad_file`` (unreadable, wrong shape, NaN, bad mask values). ``summary`` holds the shapes seen.
    """
    root = Path(root)
    report = DatasetCheck(name=NAME, path=root, synthetic=is_synthetic(root), checked=check_files)
    images_dir, masks_dir = root / IMAGES_DIR, root / MASKS_DIR
    report.fatal = missing_folders(root, IMAGES_DIR, MASKS_DIR)
    if report.fatal:
        return report
    try:
        images, masks = _tiff_names(images_dir), _tiff_names(masks_dir)
    except OSError as exc:
        report.fatal = f"folder {Path(exc.filename or images_dir).name}/ in {root} cannot be read ({exc.strerror or exc})"
        return report
    shapes: dict[str, int] = {}
    for name, image_path in images.items():
        if name not in masks:
            report.add(f"{IMAGES_DIR}/{name}", "missing_mask", f"no mask {MASKS_DIR}/{name}")
            continue
        pair = SlicePair(name, image_path, masks[name])
        if check_files:
            try:
                image, _ = load_lung2d_pair(pair)
            except BadFileError as exc:
                report.add(f"{IMAGES_DIR}/{name}", "bad_file", str(exc))
                continue
            key = "x".join(str(s) for s in image.shape)
            shapes[key] = shapes.get(key, 0) + 1
        report.items.append(pair)
    for name in masks:
        if name not in images:
            report.add(f"{MASKS_DIR}/{name}", "missing_image", f"mask without an image {IMAGES_DIR}/{name}")
    report.summary = {"slices": len(report.items), "shapes": shapes}
    if not report.items and report.fatal is None:
        report.fatal = "no usable image/mask pair"
    return report
