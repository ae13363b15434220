"""Write synthetic demo datasets to disk in exactly Kaggle's layouts.

The writers of this project's two datasets (each a :class:`lib.contract.Dataset`'s ``demo``, declared in
:mod:`lib.data.datasets`)::

    write_eyepacs: OUT/eyepacs/trainLabels.csv, OUT/eyepacs/train/<id>_<left|right>.jpeg
    write_lungs:   OUT/lungs/2d_images/*.tif, OUT/lungs/2d_masks/*.tif,
                   OUT/lungs/3d_images/IMG_NNNN.nii.gz, OUT/lungs/3d_images/MASK_NNNN.nii.gz

:func:`write_demo` writes whichever datasets it is given (the registry, ``lib.tasks``, says which exist). Each
dataset folder also gets a ``DEMO_DATA.json`` marker, which is how the app knows to say that the data is synthetic.
Everything is built in a temporary folder beside the target and renamed into place at the end, so an interrupted
run never leaves a half-written dataset behind.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Sequence

import cv2
import nibabel as nib
import numpy as np
import tifffile

from lib.demo.marker import DEMO_MARKER
from lib.demo.ct import Chest, render_slice, render_volume
from lib.demo.fundus import OTHER_SITE_FOLDER, draw_levels, render_fundus, write_other_site

Progress = Callable[[float, str], None]

# The volume ids and the order of lengths follow the Kaggle set (0002, 0031, 0059, 0078).
VOLUME_IDS = ("0002", "0031", "0059", "0078")


@dataclass(frozen=True)
class DemoSize:
    """How much demo data to write."""

    n_photos: int
    photo_height: int
    n_slices_2d: int
    slice_size: int
    volume_slices: tuple[int, int, int, int]
    volume_size: int


DEFAULT_SIZE = DemoSize(n_photos=1000, photo_height=512, n_slices_2d=240, slice_size=512,
                        volume_slices=(128, 160, 112, 72), volume_size=512)
SMALL_SIZE = DemoSize(n_photos=60, photo_height=128, n_slices_2d=24, slice_size=128,
                      volume_slices=(24, 32, 20, 16), volume_size=64)


def _noop(fraction: float, message: str) -> None:
    pass


def _photo_job(args) -> None:
    folder, seed, index, name, level, eye, height = args
    rng = np.random.default_rng([seed, 1, index])
    rgb = render_fundus(level, eye, rng=rng, height=height)
    target = Path(folder) / f"{name}.jpeg"
    if not cv2.imwrite(str(target), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]):
        raise OSError(f"could not write {target}")


def _volume_job(args) -> None:
    folder, seed, index, volume_id, n_slices, size = args
    rng = np.random.default_rng([seed, 3, index])
    chest = Chest.random(rng)
    image, mask = render_volume(chest, n_slices, size=size, rng=rng, z_range=(0.02, 0.93))
    affine = np.diag([1.0, 0.7, 0.7, 1.0])  # axis 0 = slices, as in the Kaggle files
    nib.save(nib.Nifti1Image(image, affine), str(Path(folder) / f"IMG_{volume_id}.nii.gz"))
    nib.save(nib.Nifti1Image(mask, affine), str(Path(folder) / f"MASK_{volume_id}.nii.gz"))


def _write_marker(folder: Path, seed: int, size: DemoSize) -> None:
    marker = {"generator": "lib.demo", "seed": seed, "size": asdict(size), "written": time.strftime("%Y-%m-%d %H:%M:%S")}
    (folder / DEMO_MARKER).write_text(json.dumps(marker, indent=2))


def write_eyepacs(folder: Path, size: DemoSize, seed: int, pool, progress: Progress) -> None:
    """The EyePACS demo: ``size.n_photos`` fundus photos with an EyePACS-like grade mix, and trainLabels.csv."""
    train = folder / "train"
    train.mkdir(parents=True)
    photos = draw_levels(size.n_photos, np.random.default_rng([seed, 0]))
    names = [f"{patient}_{eye}" for patient, eye, _ in photos]
    with open(folder / "trainLabels.csv", "w") as f:
        f.write("image,level\n")
        for name, (_, _, level) in zip(names, photos):
            f.write(f"{name},{level}\n")
    jobs = [(str(train), seed, i, name, level, eye, size.photo_height) for i, (name, (_, eye, level)) in enumerate(zip(names, photos))]
    for done, _ in enumerate(pool.map(_photo_job, jobs, chunksize=8), start=1):
        if done % 25 == 0 or done == len(jobs):
            progress(done / len(jobs), f"fundus photos {done}/{len(jobs)}")
    write_other_site(folder / OTHER_SITE_FOLDER, size, seed, pool, progress)  # a second camera, for dataset shift
    _write_marker(folder, seed, size)


def write_lungs(folder: Path, size: DemoSize, seed: int, pool, progress: Progress) -> None:
    """The lung CT demo: 2D slices with masks, and four volumes with masks, in Hounsfield units."""
    images, masks, volumes = folder / "2d_images", folder / "2d_masks", folder / "3d_images"
    for d in (images, masks, volumes):
        d.mkdir(parents=True)
    jobs = [(str(volumes), seed, i, vid, n, size.volume_size) for i, (vid, n) in enumerate(zip(VOLUME_IDS, size.volume_slices))]
    pending = pool.map(_volume_job, jobs)  # runs while the 2D slices are drawn below
    rng = np.random.default_rng([seed, 2])
    chests = [Chest.random(rng) for _ in range(12)]
    for i in range(size.n_slices_2d):
        patient = i % len(chests)
        z = float(rng.uniform(0.12, 0.8))
        image, mask = render_slice(chests[patient], z, size=size.slice_size, rng=rng)
        name = f"ID_{patient:04d}_Z_{int(z * 300):04d}_{i:03d}.tif"
        tifffile.imwrite(images / name, image)
        tifffile.imwrite(masks / name, mask)
        if (i + 1) % 20 == 0:
            progress(0.5 * (i + 1) / size.n_slices_2d, f"CT slices {i + 1}/{size.n_slices_2d}")
    for done, _ in enumerate(pending, start=1):
        progress(0.5 + 0.5 * done / len(jobs), f"CT volumes {done}/{len(jobs)}")
    _write_marker(folder, seed, size)


def write_demo(out: str | Path, datasets: Sequence, *, small: bool = False, seed: int = 0, workers: int | None = None,
               progress: Progress | None = None, size: DemoSize | None = None) -> dict[str, Path]:
    """Generate the demo copies of ``datasets`` under ``out`` (deterministic for a given seed and size).

    Parameters
    ----------
    out : path
        Receives one folder per dataset (``eyepacs/``, ``lungs/``). Existing *demo* folders there are replaced; a
        folder without the demo marker (real data) is never touched: ``FileExistsError`` is raised.
    datasets : the :class:`lib.contract.Dataset` s to write, each with its ``demo`` writer
    small : bool, keyword-only
        A few dozen tiny photos and slices, for tests.
    seed : int, keyword-only
    workers : int, keyword-only
        Worker processes (default: the number of CPU cores, at most 4).
    progress : callable(fraction, message), keyword-only
    size : how much to write, keyword-only (benchmarks at Kaggle's sizes); default by ``small``

    Returns
    -------
    {dataset key: its folder}
    """
    out = Path(out)
    size = size or (SMALL_SIZE if small else DEFAULT_SIZE)
    progress = progress or _noop
    chosen = {d.key: d for d in datasets}
    missing = [key for key, d in chosen.items() if d.demo is None]
    if missing or not chosen:
        raise ValueError(f"no demo writer for {', '.join(missing) or 'any dataset: none was given'}")
    keys = list(chosen)
    targets = {key: out / key for key in keys}
    for target in targets.values():
        if target.exists() and not (target / DEMO_MARKER).is_file():
            raise FileExistsError(f"{target} exists and is not demo data; refusing to overwrite it")
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".demo-staging-{os.getpid()}-{time.time_ns()}"
    staging.mkdir()
    workers = workers or min(4, os.cpu_count() or 1)
    total = sum(chosen[k].demo_cost for k in keys)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            done = 0.0
            for key in keys:
                writer, weight = chosen[key].demo, chosen[key].demo_cost
                offset = done

                def scaled(fraction: float, message: str, offset=offset, weight=weight) -> None:
                    progress((offset + weight * fraction) / total, message)

                scaled(0.0, f"drawing the {key} demo data")
                writer(staging / key, size, seed, pool, scaled)
                done += weight
        for key, target in targets.items():
            fresh = staging / key
            if target.exists():
                target.rename(staging / f"old-{key}")
            fresh.rename(target)
        progress(1.0, "demo data ready")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return targets
