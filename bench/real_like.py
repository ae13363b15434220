"""A small lung dataset shaped like the held-out real CT, for checking that the quick presets learn on it.

    python bench/real_like.py OUT

Not real data (none can be fetched here) but its traps: **49 slices from two patients** in 2d_images /
2d_masks (two CTs, so the split mixes few anatomies), a scanner's circular field of view with **-2048 HU
outside it** (what makes a per-slice min-max squash the lungs), more noise than the demo (35 HU), masks
as 0 / 1 (not 0 / 255), and **four small volumes** (60-110 slices, 256 x 256 in plane, -3024 HU padding) with
ids that are not Kaggle's. Seeded; ``bench/presets.py --real-like`` writes and uses it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import tifffile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.demo.ct import Chest, render_slice, render_volume  # noqa: E402


def _outside_field_of_view(shape: tuple[int, int], padding: int) -> np.ndarray:
    h, w = shape
    yy, xx = np.mgrid[:h, :w]
    return (yy - h / 2) ** 2 + (xx - w / 2) ** 2 > (0.47 * min(h, w)) ** 2


def write_real_like(out: Path, *, seed: int = 7) -> Path:
    """Write ``out/lungs`` (Kaggle's layout) and return it."""
    root = Path(out) / "lungs"
    images, masks, volumes = root / "2d_images", root / "2d_masks", root / "3d_images"
    for folder in (images, masks, volumes):
        folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    patients = [Chest.random(rng) for _ in range(2)]
    outside = _outside_field_of_view((512, 512), -2048)
    for i in range(49):
        patient = i % 2
        z = float(rng.uniform(0.15, 0.8))
        image, mask = render_slice(patients[patient], z, size=512, rng=rng, noise_hu=35.0)
        image = image.astype(np.int16)
        image[outside] = -2048
        name = f"ID_{patient:04d}_Z_{int(z * 300):04d}.tif"
        tifffile.imwrite(images / name, image)
        tifffile.imwrite(masks / name, (mask > 0).astype(np.uint8))
    for index, (volume_id, n) in enumerate(zip(("0101", "0102", "0103", "0104"), (110, 96, 80, 60))):
        chest = Chest.random(np.random.default_rng([seed, index]))
        image, mask = render_volume(chest, n, size=256, rng=rng, z_range=(0.02, 0.93))
        image[:, _outside_field_of_view((256, 256), -3024)] = -3024
        affine = np.diag([2.5, 1.4, 1.4, 1.0])
        nib.save(nib.Nifti1Image(image, affine), str(volumes / f"IMG_{volume_id}.nii.gz"))
        nib.save(nib.Nifti1Image((mask > 0).astype(np.uint8), affine), str(volumes / f"MASK_{volume_id}.nii.gz"))
    return root


if __name__ == "__main__":
    print(write_real_like(Path(sys.argv[1])))
