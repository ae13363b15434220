"""The demo's second site: the same kind of eyes through another camera, in the same Kaggle layout."""

import cv2
import numpy as np

from lib.data import read_eyepacs
from lib.demo.fundus import OTHER_SITE_FOLDER, SITE_A, SITE_B, render_fundus
from lib.demo.marker import DEMO_MARKER


def _pair(level=3, seed=11):
    a = render_fundus(level, "right", rng=np.random.default_rng(seed), height=256)
    b = render_fundus(level, "right", rng=np.random.default_rng(seed), height=256, camera=SITE_B)
    return a, b


def test_the_other_camera_is_cooler_softer_and_narrower():
    a, b = _pair()
    inside_a, inside_b = a.sum(axis=2) > 30, b.sum(axis=2) > 30
    assert inside_b.sum() < 0.8 * inside_a.sum()  # a narrower field of view
    red_a, blue_a = a[inside_a][:, 0].mean(), a[inside_a][:, 2].mean()
    red_b, blue_b = b[inside_b][:, 0].mean(), b[inside_b][:, 2].mean()
    assert blue_b / red_b > 1.5 * blue_a / red_a  # a cooler white balance
    sharp = [cv2.Laplacian(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.CV_64F)[m].var() for x, m in ((a, inside_a),
                                                                                             (b, inside_b))]
    assert sharp[1] < 0.5 * sharp[0]  # softer focus


def test_the_first_site_is_unchanged_by_naming_its_camera():
    a = render_fundus(2, "left", rng=np.random.default_rng(3), height=128)
    assert np.array_equal(a, render_fundus(2, "left", rng=np.random.default_rng(3), height=128, camera=SITE_A))


def test_the_demo_writes_the_other_site_beside_the_first(demo_root):
    first, other = read_eyepacs(demo_root / "eyepacs"), read_eyepacs(demo_root / "eyepacs" / OTHER_SITE_FOLDER)
    assert other.ok and (demo_root / "eyepacs" / OTHER_SITE_FOLDER / DEMO_MARKER).is_file()  # said to be synthetic
    assert other.n_items == first.n_items // 2
    assert not {p.image for p in first.items} & {p.image for p in other.items}  # other patients, other ids
    levels = [p.level for p in other.items]
    assert sum(level >= 2 for level in levels) >= 2 and sum(level < 2 for level in levels) >= 2  # both classes
