import numpy as np
import pytest
import tifffile

from lib.data.ct_slices import BadFileError, SlicePair, load_lung2d_pair, read_lung2d


def test_reads_the_demo_layout(demo_root):
    report = read_lung2d(demo_root / "lungs")
    assert report.ok and report.synthetic
    assert report.n_items == 24 and report.problems == []
    image, mask = load_lung2d_pair(report.items[0])
    assert image.shape == mask.shape == (128, 128)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
    assert image.min() < -900 and image.max() > 300  # Hounsfield units: air and bone


def test_bad_pairs_are_skipped_and_named(lungs_copy):
    images, masks = sorted((lungs_copy / "2d_images").iterdir()), sorted((lungs_copy / "2d_masks").iterdir())
    masks[0].unlink()  # image without mask
    tifffile.imwrite(masks[1], np.zeros((64, 64), np.uint8))  # wrong shape
    nan_image = tifffile.imread(images[2]).astype(np.float32)
    nan_image[5, 5] = np.nan
    tifffile.imwrite(images[2], nan_image)
    tifffile.imwrite(masks[3], np.full((128, 128), 7, np.uint8))  # bad values
    images[4].write_bytes(b"not a tiff")
    (lungs_copy / "2d_masks" / "orphan.tif").write_bytes(masks[5].read_bytes())

    report = read_lung2d(lungs_copy)

    assert report.ok and report.n_items == 24 - 5
    messages = {p.file: p.message for p in report.problems}
    kinds = {p.file: p.kind for p in report.problems}
    assert kinds[f"2d_images/{images[0].name}"] == "missing_mask"
    assert "shape (64, 64)" in messages[f"2d_images/{images[1].name}"]
    assert "NaN" in messages[f"2d_images/{images[2].name}"]
    assert "values 7" in messages[f"2d_images/{images[3].name}"]
    assert "cannot be read as TIFF" in messages[f"2d_images/{images[4].name}"]
    assert kinds["2d_masks/orphan.tif"] == "missing_image"


def test_mask_in_zero_one_is_accepted(tmp_path):
    tifffile.imwrite(tmp_path / "i.tif", np.arange(16, dtype=np.int16).reshape(4, 4))
    tifffile.imwrite(tmp_path / "m.tif", np.eye(4, dtype=np.uint8))
    image, mask = load_lung2d_pair(SlicePair("i.tif", tmp_path / "i.tif", tmp_path / "m.tif"))
    assert mask.tolist() == np.eye(4, dtype=np.uint8).tolist()


def test_missing_folders_are_fatal(tmp_path):
    assert "2d_images/ not found" in read_lung2d(tmp_path).fatal
    (tmp_path / "2d_images").mkdir()
    assert "2d_masks/ not found" in read_lung2d(tmp_path).fatal
    (tmp_path / "2d_masks").mkdir()
    assert read_lung2d(tmp_path).fatal == "no usable image/mask pair"


def test_3d_image_is_rejected(tmp_path):
    tifffile.imwrite(tmp_path / "i.tif", np.zeros((3, 4, 4), np.int16), photometric="minisblack")
    tifffile.imwrite(tmp_path / "m.tif", np.zeros((3, 4, 4), np.uint8), photometric="minisblack")
    with pytest.raises(BadFileError, match="expected a 2D slice"):
        load_lung2d_pair(SlicePair("i.tif", tmp_path / "i.tif", tmp_path / "m.tif"))
