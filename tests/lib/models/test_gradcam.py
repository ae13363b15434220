"""Grad-CAM finds the evidence a tiny trained model uses: a bright square that decides the label."""

import keras
import numpy as np
import pytest

from lib.models.classifier import build_dr_classifier
from lib.models.gradcam import grad_cam, heat_overlay

SIZE, SQUARE = 64, 14


def _photos(n: int, rng: np.random.Generator):
    x = rng.random((n, SIZE, SIZE, 3), dtype=np.float32) * 0.3
    y = np.arange(n) % 2
    corners = []
    for i in range(n):
        top, left = rng.integers(0, SIZE - SQUARE, 2)
        corners.append((top, left))
        if y[i]:
            x[i, top:top + SQUARE, left:left + SQUARE] = 0.95
    return x, y.astype(np.float32), corners


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y, _ = _photos(256, rng)
    model, _ = build_dr_classifier(backbone="small_cnn", image_size=SIZE, weights="none")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    return model


def test_the_heat_map_peaks_on_the_square_that_decides_the_label(trained):
    rng = np.random.default_rng(1)
    x, y, corners = _photos(12, rng)
    inside_share = []
    for image, label, (top, left) in zip(x, y, corners):
        if not label:
            continue
        cam, score = grad_cam(trained, image)
        assert cam.shape == (SIZE, SIZE) and 0 <= cam.min() and cam.max() <= 1 and score > 0.5
        region = np.zeros((SIZE, SIZE), bool)
        region[top:top + SQUARE, left:left + SQUARE] = True
        inside_share.append(cam[region].mean() / max(cam[~region].mean(), 1e-6))
        peak = np.unravel_index(np.argmax(cam), cam.shape)
        assert top - 8 <= peak[0] < top + SQUARE + 8 and left - 8 <= peak[1] < left + SQUARE + 8, (peak, top, left)
    assert np.median(inside_share) > 2.0, inside_share


def test_overlay_and_refusals(trained):
    cam = np.zeros((8, 8), np.float32)
    cam[2, 2] = 1.0
    out = heat_overlay(np.zeros((32, 32, 3), np.uint8), cam)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    with pytest.raises(ValueError, match="one RGB image"):
        grad_cam(trained, np.zeros((SIZE, SIZE), np.float32))
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no layer 'pool'"):
        grad_cam(plain, np.zeros((4, 4, 3), np.float32))
