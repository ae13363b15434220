"""Readers never crash: unreadable folders, symlink loops, duplicates, decompression bombs, absurd headers."""

import os
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import nibabel as nib
import numpy as np
import pytest
import tifffile

from lib.data.eyepacs import read_eyepacs
from lib.data.ct_slices import read_lung2d
from lib.data.ct_volumes import read_lung3d
from lib.jobs.folder.store import RunStore
from lib.contract import DataError
from lib.jobs.job import run_job
from tests.lib.training.conftest import tiny_config

ROOT = Path(__file__).resolve().parents[2]
READERS = {"eyepacs": (read_eyepacs, "train"), "lungs-2d": (read_lung2d, "2d_masks"), "lungs-3d": (read_lung3d, "3d_images")}


def _dataset(name, eyepacs_copy, lungs_copy):
    return eyepacs_copy if name == "eyepacs" else lungs_copy


@pytest.mark.parametrize("name", READERS)
def test_a_symlink_loop_instead_of_a_folder(name, eyepacs_copy, lungs_copy):
    read, sub = READERS[name]
    root = _dataset(name, eyepacs_copy, lungs_copy)
    os.rename(root / sub, root / f"{sub}-moved")
    (root / sub).symlink_to(root / sub)  # points at itself
    report = read(root)
    assert not report.ok and f"{sub}/" in report.fatal


@pytest.mark.parametrize("name", READERS)
def test_a_folder_that_cannot_be_listed(name, eyepacs_copy, lungs_copy, monkeypatch):
    # Tests run as root, which chmod 000 does not stop: simulate what an ordinary user gets.
    read, sub = READERS[name]
    root = _dataset(name, eyepacs_copy, lungs_copy)
    real = os.scandir

    def scandir(path="."):
        if os.path.basename(os.fspath(path)) == sub:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = read(root)
    assert not report.ok and "cannot be read (Permission denied)" in report.fatal and sub in report.fatal


def test_an_unreadable_labels_file(eyepacs_copy, monkeypatch):
    import pandas as pd

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(eyepacs_copy / "trainLabels.csv"))

    monkeypatch.setattr(pd, "read_csv", refuse)
    report = read_eyepacs(eyepacs_copy)
    assert report.fatal == f"trainLabels.csv in {eyepacs_copy} cannot be read (Permission denied)"


def test_symlink_loops_and_vanished_files_inside_a_folder_are_skipped(eyepacs_copy, lungs_copy):
    (eyepacs_copy / "train" / "77_left.jpeg").symlink_to(eyepacs_copy / "train" / "77_left.jpeg")
    (lungs_copy / "3d_images" / "IMG_0099.nii.gz").symlink_to(lungs_copy / "nowhere.nii.gz")
    assert read_eyepacs(eyepacs_copy).n_items == 60
    assert read_lung3d(lungs_copy).n_items == 4


def test_jpg_beside_jpeg_keeps_the_jpeg_whatever_the_order(eyepacs_copy):
    photo = sorted((eyepacs_copy / "train").glob("*.jpeg"))[0]
    stray = photo.with_suffix(".jpg")
    stray.write_bytes(b"\xff\xd8\xff" + b"junk" * 10)  # a broken stray copy
    report = read_eyepacs(eyepacs_copy)
    assert report.n_items == 60 and photo in [p.path for p in report.items]
    [duplicate] = [p for p in report.problems if p.kind == "duplicate_photo"]
    assert duplicate.file == f"train/{stray.name}" and photo.name in duplicate.message


def _with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header (SOF0) declaring another size."""
    at = jpeg.index(b"\xff\xc0")
    return jpeg[: at + 5] + struct.pack(">HH", height, width) + jpeg[at + 9:]


def test_a_decompression_bomb_header_is_reported_by_the_reader(eyepacs_copy):
    photo = sorted((eyepacs_copy / "train").glob("*.jpeg"))[1]
    photo.write_bytes(_with_size(photo.read_bytes(), 20000, 20000))
    report = read_eyepacs(eyepacs_copy)
    [problem] = [p for p in report.problems if p.file == f"train/{photo.name}"]
    assert problem.kind == "corrupt_jpeg" and "too large" in problem.message
    assert report.n_items == 59


def test_a_huge_tiff_header_is_refused_before_decoding(lungs_copy):
    victim = sorted((lungs_copy / "2d_images").iterdir())[0]
    tifffile.imwrite(victim, np.zeros((20000, 20000), np.uint8), compression="zlib")
    report = read_lung2d(lungs_copy)
    [problem] = [p for p in report.problems if p.kind == "bad_file"]
    assert "20000x20000 pixels" in problem.message and victim.name in problem.message


def test_a_scale_slope_that_overflows_is_found_by_inspect_and_named_in_training(lungs_copy, runs_dir):
    path = lungs_copy / "3d_images" / "IMG_0078.nii.gz"
    image = nib.load(str(path))
    data = np.asarray(image.dataobj.get_unscaled())
    scaled = nib.Nifti1Image(data, image.affine)
    scaled.header.set_slope_inter(3e38, 0)
    nib.save(scaled, str(path))
    deep = read_lung3d(lungs_copy, deep=True)
    [problem] = deep.problems
    assert problem.file == "3d_images/IMG_0078.nii.gz" and "NaN or infinite voxels once scaled" in problem.message
    status = run_job(RunStore(runs_dir).create(tiny_config("lung3d", lungs_copy.parent, data=str(lungs_copy)), owner="a"),
                     echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "failed" and "IMG_0078.nii.gz" in status["error"]


def test_inspecting_a_huge_sparse_volume_uses_bounded_memory(tmp_path):
    folder = tmp_path / "3d_images"
    folder.mkdir()
    shape = (200, 1024, 1024)  # 400 MB of int16 on disk (sparse), 800 MB as float32
    for name in ("IMG_0001.nii", "MASK_0001.nii"):
        header = nib.Nifti1Header()
        header.set_data_shape(shape)
        header.set_data_dtype(np.int16)
        header["vox_offset"] = 352
        header["magic"] = b"n+1"
        with open(folder / name, "wb") as f:
            header.write_to(f)
            f.write(b"\0" * (352 - f.tell()))
            f.truncate(352 + 2 * int(np.prod(shape)))
    # VmHWM: this process's peak resident memory (ru_maxrss would include the forking parent's)
    script = ("import sys; from lib.data.ct_volumes import read_lung3d; "
              "report = read_lung3d(sys.argv[1], deep=True); "
              "peak = next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]; "
              "print(report.ok, int(peak) // 1024)")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    ok, peak_mb = done.stdout.split()
    assert ok == "True", done.stderr[-2000:]
    assert int(peak_mb) < 400, f"inspect peaked at {peak_mb} MB for a 400 MB volume"


def test_volumes_of_another_size_fail_before_training_naming_the_file(lungs_copy, runs_dir):
    path = lungs_copy / "3d_images" / "IMG_0059.nii.gz"
    mask = lungs_copy / "3d_images" / "MASK_0059.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((20, 48, 48), np.int16), np.eye(4)), str(path))
    nib.save(nib.Nifti1Image(np.zeros((20, 48, 48), np.uint8), np.eye(4)), str(mask))
    config = tiny_config("lung3d", lungs_copy.parent, data=str(lungs_copy))
    from lib import tasks

    with pytest.raises(DataError, match="IMG_0059 is 24x24 in-plane after the stride, but IMG_0002 is 32x32"):
        tasks.get("lung3d").prepare(config)
    run_dir = RunStore(runs_dir).create(config, owner="a")
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "failed" and "IMG_0059" in status["error"]
    assert not (run_dir / "history.csv").exists()  # nothing trained before the check


def test_a_png_with_broken_pixels_is_skipped_in_preprocessing(tmp_path):
    from lib.preprocess.fundus import preprocess_photos

    good = tmp_path / "1_left.png"
    cv2.imwrite(str(good), np.full((40, 60, 3), 128, np.uint8))
    encoded = bytearray(good.read_bytes())
    start = encoded.index(b"IDAT") + 8
    encoded[start:start + 8] = b"\xff" * 8
    bad = tmp_path / "2_left.png"
    bad.write_bytes(bytes(encoded))
    result = preprocess_photos([good, bad], size=16)
    assert result.kept.tolist() == [0] and "2_left.png" in result.problems[0].message
