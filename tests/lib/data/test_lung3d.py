import nibabel as nib
import numpy as np
import pytest

from lib.data.ct_volumes import BadVolumeError, VolumePair, load_volume, read_lung3d


def _save(path, array):
    nib.save(nib.Nifti1Image(array, np.eye(4)), str(path))


def test_reads_the_demo_layout(demo_root):
    report = read_lung3d(demo_root / "lungs", deep=True)
    assert report.ok and report.synthetic and report.problems == []
    assert [p.volume_id for p in report.items] == ["0002", "0031", "0059", "0078"]
    assert [p.shape for p in report.items] == [(24, 64, 64), (32, 64, 64), (20, 64, 64), (16, 64, 64)]


def test_load_volume_strides_in_plane_only_and_keeps_float32(demo_root):
    pair = read_lung3d(demo_root / "lungs").items[0]
    image, mask = load_volume(pair, stride=8)
    assert image.shape == mask.shape == (24, 8, 8)
    assert image.dtype == np.float32 and mask.dtype == np.uint8
    full, full_mask = load_volume(pair)
    np.testing.assert_array_equal(image, full[:, ::8, ::8])
    np.testing.assert_array_equal(mask, full_mask[:, ::8, ::8])
    assert set(np.unique(full_mask)) == {0, 1}


def test_bad_volumes_are_skipped_and_named(lungs_copy):
    folder = lungs_copy / "3d_images"
    nan_volume = np.zeros((8, 16, 16), np.float32)
    nan_volume[1, 2, 3] = np.nan
    _save(folder / "IMG_0002.nii.gz", nan_volume)
    _save(folder / "MASK_0002.nii.gz", np.zeros((8, 16, 16), np.uint8))
    _save(folder / "MASK_0031.nii.gz", np.zeros((5, 64, 64), np.uint8))  # wrong shape
    (folder / "MASK_0059.nii.gz").unlink()
    truncated = (folder / "IMG_0078.nii.gz").read_bytes()
    (folder / "IMG_0078.nii.gz").write_bytes(truncated[: len(truncated) // 2])

    shallow = read_lung3d(lungs_copy)
    deep = read_lung3d(lungs_copy, deep=True)

    assert not deep.ok and deep.fatal == "no usable volume/mask pair"
    messages = {p.file: p.message for p in deep.problems}
    assert "1 NaN" in messages["3d_images/IMG_0002.nii.gz"]
    assert "(5, 64, 64)" in messages["3d_images/IMG_0031.nii.gz"]
    assert "no MASK_0059" in messages["3d_images/IMG_0059.nii.gz"]
    assert "damaged" in messages["3d_images/IMG_0078.nii.gz"]
    assert {p.volume_id for p in shallow.items} == {"0002", "0078"}  # headers alone look fine


def test_load_volume_rejects_bad_mask_values(tmp_path):
    _save(tmp_path / "IMG_0001.nii.gz", np.zeros((4, 8, 8), np.int16))
    _save(tmp_path / "MASK_0001.nii.gz", np.full((4, 8, 8), 3, np.uint8))
    with pytest.raises(BadVolumeError, match="MASK_0001.nii.gz has values 3"):
        load_volume(VolumePair("0001", tmp_path / "IMG_0001.nii.gz", tmp_path / "MASK_0001.nii.gz"))


def test_missing_folder_is_fatal(tmp_path):
    assert "3d_images/ not found" in read_lung3d(tmp_path).fatal
