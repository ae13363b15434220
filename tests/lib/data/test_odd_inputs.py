"""Real data comes in every flavour: JPEG modes and encodings, mask encodings, TIFF dtypes, slice sizes."""

import numpy as np
import pytest
import tifffile
from PIL import Image

from lib.data.eyepacs import check_jpeg, decode_photo
from lib.data.ct_slices import SlicePair, load_lung2d_pair
from lib.demo.fundus import render_fundus
from lib.preprocess.fundus import preprocess_photo


@pytest.fixture(scope="module")
def fundus():
    return render_fundus(2, "right", rng=np.random.default_rng(1), height=300, aspect=4 / 3)


@pytest.mark.parametrize("mode, options", [("RGB", {}), ("L", {}), ("CMYK", {}), ("RGB", {"progressive": True}),
                                           ("RGB", {"subsampling": 0, "quality": 98})])
def test_every_jpeg_flavour_decodes_to_rgb(tmp_path, fundus, mode, options):
    path = tmp_path / "1_left.jpeg"
    Image.fromarray(fundus).convert(mode).save(path, "JPEG", **options)
    assert check_jpeg(path) is None
    rgb = decode_photo(path, min_side=64)
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.dtype == np.uint8
    x = preprocess_photo(path, size=64)
    assert x.shape == (64, 64, 3) and x.min() == 0.0 and x.max() == 1.0


@pytest.mark.parametrize("mask_values, dtype", [((0, 1), np.uint8), ((0, 255), np.uint8), ((False, True), bool),
                                                ((0, 255), np.int16), ((0.0, 1.0), np.float32)])
@pytest.mark.parametrize("image_dtype", [np.int16, np.float32, np.uint16])
def test_masks_and_images_in_any_encoding(tmp_path, mask_values, dtype, image_dtype):
    rng = np.random.default_rng(0)
    low = 0 if image_dtype == np.uint16 else -1024
    image = rng.uniform(low, 1000, (48, 40)).astype(image_dtype)
    mask = np.full((48, 40), mask_values[0], dtype)
    mask[10:30, 5:20] = mask_values[1]
    tifffile.imwrite(tmp_path / "i.tif", image)
    tifffile.imwrite(tmp_path / "m.tif", mask)
    loaded, binary = load_lung2d_pair(SlicePair("x.tif", tmp_path / "i.tif", tmp_path / "m.tif"))
    assert loaded.shape == (48, 40) and binary.dtype == np.uint8
    assert binary.sum() == 20 * 15 and set(np.unique(binary)) == {0, 1}


def test_voxel_spacing_comes_from_the_header_and_absurd_values_fall_back_to_1mm(demo_root, tmp_path):
    import nibabel as nib
    import numpy as np
    import pytest as _pytest

    from lib.data.ct_volumes import read_lung3d

    pairs = read_lung3d(demo_root / "lungs").items
    assert pairs and all(p.spacing == _pytest.approx((1.0, 0.7, 0.7)) for p in pairs)  # the demo's affine
    folder = tmp_path / "lungs" / "3d_images"
    folder.mkdir(parents=True)
    volume = np.zeros((8, 16, 16), np.int16)
    image = nib.Nifti1Image(volume, np.eye(4))
    image.header.set_zooms((0.0, 2.0, float("nan")))
    nib.save(image, str(folder / "IMG_0001.nii.gz"))
    nib.save(nib.Nifti1Image(volume.astype(np.uint8), np.eye(4)), str(folder / "MASK_0001.nii.gz"))
    (pair,) = read_lung3d(tmp_path / "lungs").items
    assert pair.spacing == (1.0, 2.0, 1.0)
