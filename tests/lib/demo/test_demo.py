import numpy as np
import pytest

from lib.data import read_eyepacs, read_lung2d, read_lung3d
from lib.data.ct_volumes import load_volume
from lib.demo.ct import Chest, render_slice, render_volume
from lib.demo.fundus import EYEPACS_LEVEL_MIX, draw_levels, render_fundus
from lib.tasks import write_demo


def test_fundus_is_deterministic_and_shaped():
    a = render_fundus(2, "left", rng=np.random.default_rng(5), height=96)
    b = render_fundus(2, "left", rng=np.random.default_rng(5), height=96)
    assert a.shape == (96, 144, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert a[0, 0].max() < 10  # dark background outside the field of view
    assert a[48, 72, 0] > a[48, 72, 2]  # red-orange fundus


def test_optic_disc_side_follows_the_eye():
    def brightest_column(eye):
        rgb = render_fundus(0, eye, rng=np.random.default_rng(1), height=128).astype(float)
        blue = rgb[..., 2]  # the pale disc is by far the bluest (whitest) part of an orange fundus
        return int(np.unravel_index(np.argmax(blue), blue.shape)[1])

    assert brightest_column("right") > 96 > brightest_column("left")


def test_higher_grades_have_more_lesion_pixels():
    def dark_red_spots(level):
        total = 0
        for seed in range(6):
            rgb = render_fundus(level, "right", rng=np.random.default_rng(seed), height=256).astype(float)
            total += np.count_nonzero((rgb[..., 0] < 120) & (rgb[..., 1] < 30))
        return total

    assert dark_red_spots(3) > dark_red_spots(0)


def test_level_mix_follows_eyepacs_with_both_eyes():
    photos = draw_levels(20000, np.random.default_rng(0))
    levels = np.array([p[2] for p in photos])
    shares = np.bincount(levels, minlength=5) / len(levels)
    np.testing.assert_allclose(shares, EYEPACS_LEVEL_MIX, atol=0.012)
    assert photos[0][:2] == (10, "left") and photos[1][:2] == (10, "right")


def test_ct_slice_has_realistic_hounsfield_units():
    rng = np.random.default_rng(0)
    image, mask = render_slice(Chest.random(rng), 0.45, size=256, rng=rng)
    assert image.dtype == np.int16 and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    assert -900 < np.median(image[mask > 0]) < -750  # lung
    assert image.max() > 500  # bone
    assert np.median(image[:5, :5]) < -950  # air


def test_lungs_change_shape_along_the_volume():
    rng = np.random.default_rng(0)
    _, mask = render_volume(Chest.random(rng), 30, size=96, rng=rng)
    area = (mask > 0).mean(axis=(1, 2))
    assert area[0] == 0 and area.max() > 0.1
    middle = area[10:20].max()
    assert middle > 2 * area[3] and middle > 2 * area[-3]  # small at the apex and at the base
    assert np.argmax(area) not in (0, 29)


def test_write_demo_is_deterministic_and_read_by_the_real_readers(tmp_path, processes):
    a, b = write_demo(tmp_path / "a", small=True, seed=7), write_demo(tmp_path / "b", small=True, seed=7)
    assert (a["eyepacs"] / "trainLabels.csv").read_text() == (b["eyepacs"] / "trainLabels.csv").read_text()
    photo = sorted((a["eyepacs"] / "train").iterdir())[3].name
    assert (a["eyepacs"] / "train" / photo).read_bytes() == (b["eyepacs"] / "train" / photo).read_bytes()
    assert read_eyepacs(a["eyepacs"]).ok and read_lung2d(a["lungs"]).ok
    lung3d = read_lung3d(a["lungs"], deep=True)
    assert lung3d.ok and lung3d.n_items == 4
    image, _ = load_volume(lung3d.items[0])
    assert image.min() <= -1000 and image.max() > 300
    assert not list(tmp_path.glob("a/.demo-staging*"))


def test_write_demo_never_overwrites_real_data(tmp_path):
    (tmp_path / "eyepacs").mkdir()
    (tmp_path / "eyepacs" / "trainLabels.csv").write_text("image,level\n")
    with pytest.raises(FileExistsError, match="not demo data"):
        write_demo(tmp_path, small=True)
    assert (tmp_path / "eyepacs" / "trainLabels.csv").read_text() == "image,level\n"
