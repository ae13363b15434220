"""Cropping to the round fundus: on the bundled real photograph padded to 3:2, and on synthetic discs."""

import numpy as np
import pytest
from skimage import data

from lib.preprocess.crop import crop_fundus, crop_square, find_fundus


def _roundness(image: np.ndarray) -> tuple[float, float]:
    """(width / height of the bright region, its width / the image width)."""
    bright = np.asarray(image, float).mean(axis=2) > 20
    rows, cols = np.flatnonzero(bright.any(axis=1)), np.flatnonzero(bright.any(axis=0))
    width, height = cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1
    return width / height, width / image.shape[1]


def test_the_real_retina_padded_to_3_by_2_comes_out_square_and_round():
    retina = data.retina()  # 1411 x 1411, a real fundus photograph (CC0)
    padded = np.zeros((1411, 2117, 3), np.uint8)
    padded[:, 300:1711] = retina  # off-centre, with a wide black border as EyePACS cameras leave
    cropped = crop_fundus(padded)
    assert cropped.shape[0] == cropped.shape[1]
    aspect, fill = _roundness(cropped)
    assert abs(aspect - 1) < 0.03 and fill > 0.95
    # a plain resize of the padded photo to a square would squash it to about 2 / 3
    squashed_aspect = (1411 / 2117) * _roundness(padded)[0]
    assert squashed_aspect < 0.7


def _disc(h, w, cy, cx, r):
    yy, xx = np.mgrid[:h, :w]
    photo = np.zeros((h, w, 3), np.uint8)
    photo[(yy - cy) ** 2 + (xx - cx) ** 2 <= r**2] = (180, 90, 40)
    photo += np.random.default_rng(0).integers(0, 6, photo.shape, dtype=np.uint8)  # a noisy black border
    return photo


@pytest.mark.parametrize("h, w, cy, cx, r", [(300, 450, 150, 220, 140), (300, 450, 150, 225, 180), (400, 300, 200, 150, 120)])
def test_discs_cut_off_or_not_are_found(h, w, cy, cx, r):
    box = find_fundus(_disc(h, w, cy, cx, r))
    assert box.found and abs(box.cx - cx) <= 1.5 and abs(box.diameter - (2 * r + 1)) <= 2
    cropped = crop_square(_disc(h, w, cy, cx, r), box)
    aspect, fill = _roundness(cropped)
    assert cropped.shape[:2] == (round(box.diameter),) * 2
    if 2 * r < h:  # a whole disc stays a whole, round disc
        assert abs(aspect - 1) < 0.03 and fill > 0.97


def test_a_black_photo_is_left_as_it_is():
    black = np.zeros((30, 40, 3), np.uint8)
    assert not find_fundus(black).found
    assert crop_fundus(black).shape == (30, 40, 3)


def test_crop_square_pads_outside_the_photo_and_never_changes_the_input():
    image = np.full((10, 10), 7, np.uint8)
    from lib.preprocess.crop import FundusBox

    out = crop_square(image, FundusBox(cy=2.0, cx=2.0, diameter=8))
    assert out.shape == (8, 8) and out[0, 0] == 0 and out[-1, -1] == 7
    assert (image == 7).all()
