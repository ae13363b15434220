"""Synthetic chest CT in Hounsfield units: body, fat, muscle, bone, mediastinum, two lungs with vessels.

A :class:`Chest` is one synthetic patient. :func:`render_slice` draws an axial slice at a relative
height ``z`` (0 = lung apex side, 1 = abdomen side): the lungs are small near the apex, widest in
the middle, and pushed up from below by the diaphragm domes, with the liver appearing under the
right lung, so their shape changes along a volume. Vessels are straight-ish 3D tubes, so they show
as dots and short segments that move smoothly from slice to slice.

HU values: air -1000, lung about -850, fat about -100, soft tissue / blood 30-60, cancellous bone
about 300, cortical bone 700-1000. The lung mask covers the lung fields including their vessels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

HU_AIR = -1000.0
HU_LUNG = -850.0
HU_FAT = -100.0
HU_SOFT = 40.0
HU_BLOOD = 55.0
HU_BONE = 300.0
HU_CORTEX = 800.0


@dataclass(frozen=True)
class Chest:
    """Shape parameters of one synthetic patient, in fractions of the image size."""

    body_a: float  # half-width of the body ellipse
    body_b: float  # half-height
    fat: float  # subcutaneous fat thickness
    lung_a: float  # half-width of one lung at its widest
    lung_b: float  # half-height of one lung at its widest
    lung_gap: float  # half-distance between the lungs' centres
    tilt: float  # in-plane rotation of the whole chest, degrees
    vessels: np.ndarray  # (K, 5): x0, y0, dx/dz, dy/dz, radius, in image fractions, per lung side sign

    @classmethod
    def random(cls, rng: np.random.Generator) -> "Chest":
        n_vessels = 70
        side = rng.choice((-1.0, 1.0), size=n_vessels)
        vessels = np.stack(
            [
                side * rng.uniform(0.05, 0.2, n_vessels),
                rng.uniform(-0.12, 0.1, n_vessels),
                rng.normal(0, 0.08, n_vessels),
                rng.normal(0, 0.08, n_vessels),
                rng.uniform(0.002, 0.007, n_vessels),
            ],
            axis=1,
        )
        return cls(
            body_a=rng.uniform(0.38, 0.45),
            body_b=rng.uniform(0.26, 0.32),
            fat=rng.uniform(0.015, 0.04),
            lung_a=rng.uniform(0.12, 0.15),
            lung_b=rng.uniform(0.17, 0.21),
            lung_gap=rng.uniform(0.15, 0.18),
            tilt=rng.normal(0, 2.0),
            vessels=vessels,
        )


def _lung_scale(z: float) -> float:
    """Relative lung size along the volume: 0 above the apex, 1 in the middle, shrinking at the base."""
    if z <= 0.03 or z >= 0.97:
        return 0.0
    return float(np.sin(np.pi * (z - 0.03) / 0.94) ** 0.6)


def render_slice(chest: Chest, z: float, *, size: int = 512, rng: np.random.Generator, noise_hu: float = 18.0):
    """Draw one axial slice.

    Parameters
    ----------
    chest : Chest
    z : float in [0, 1]
        Relative height along the chest.
    size : int, keyword-only
        Output is ``size`` x ``size`` pixels.
    rng : numpy Generator, keyword-only
    noise_hu : float, keyword-only
        Standard deviation of the image noise in HU.

    Returns
    -------
    image : ndarray (size, size), int16, Hounsfield units (about -1024..+1500)
    mask : ndarray (size, size), uint8, 255 on the lungs, 0 elsewhere
    """
    s = float(size)
    c = (s / 2, s / 2 + 0.02 * s)
    img = np.full((size, size), HU_AIR, np.float32)

    def ell(target, center, axes, value, angle=0.0):
        cv2.ellipse(target, (int(center[0] * 16), int(center[1] * 16)), (max(1, int(axes[0] * 16)), max(1, int(axes[1] * 16))),
                    chest.tilt + angle, 0, 360, value, -1, cv2.LINE_AA, shift=4)

    # Table under the patient, body with fat and muscle layers.
    cv2.rectangle(img, (int(0.08 * s), int(c[1] + chest.body_b * s + 0.03 * s)), (int(0.92 * s), int(c[1] + chest.body_b * s + 0.045 * s)), 150.0, -1)
    ell(img, c, (chest.body_a * s, chest.body_b * s), HU_FAT)
    ell(img, c, ((chest.body_a - chest.fat) * s, (chest.body_b - chest.fat) * s), HU_SOFT)
    ell(img, c, ((chest.body_a - chest.fat - 0.025) * s, (chest.body_b - chest.fat - 0.025) * s), HU_FAT + 60)

    scale = _lung_scale(z)
    # Ribs: short bright arcs just inside the muscle layer.
    for k in range(12):
        t = np.pi * (0.08 + 0.84 * k / 11) * (1 if k % 2 else -1)
        rx = (chest.body_a - chest.fat - 0.035) * s
        ry = (chest.body_b - chest.fat - 0.035) * s
        p = (c[0] + rx * np.sin(t), c[1] - ry * np.cos(t))
        ell(img, p, (0.014 * s, 0.009 * s), HU_CORTEX, angle=np.degrees(t))

    # Lungs: ellipses cut by the heart (medially, anterior) and by the diaphragm domes (from below).
    lungs = np.zeros((size, size), np.uint8)
    if scale > 0:
        for sign in (-1.0, 1.0):
            lc = (c[0] + sign * chest.lung_gap * s * (0.75 + 0.25 * scale), c[1] - 0.01 * s)
            ell(lungs, lc, (chest.lung_a * s * scale, chest.lung_b * s * (0.55 + 0.45 * scale)), 255)
        heart_r = (0.10 + 0.04 * min(1.0, 2 * max(0.0, z - 0.3))) * s
        cv2.circle(lungs, (int(c[0] + 0.02 * s), int(c[1] - 0.06 * s)), int(heart_r * scale), 0, -1, cv2.LINE_AA)
        if z > 0.62:  # diaphragm domes rise into the lower lungs, the right (image left) one higher
            for sign, lift in ((-1.0, 0.05), (1.0, 0.0)):
                depth = np.clip((z - 0.62 + lift) / 0.33, 0, 1)
                dome_c = (c[0] + sign * chest.lung_gap * s, c[1] + 0.02 * s)
                ell(lungs, dome_c, (chest.lung_a * s * 1.1 * depth, chest.lung_b * s * 1.1 * depth), 0)
        lungs = (lungs > 127).astype(np.uint8) * 255
    lung_px = lungs > 0
    img[lung_px] = HU_LUNG

    # Mediastinum: heart, aorta, vertebra with spinal canal.
    if scale > 0:
        ell(img, (c[0] + 0.02 * s, c[1] - 0.06 * s), (0.09 * s * scale, 0.08 * s * scale), HU_BLOOD)
    ell(img, (c[0] - 0.03 * s, c[1] + 0.10 * s), (0.028 * s, 0.028 * s), HU_BLOOD + 20)
    spine = (c[0], c[1] + chest.body_b * s - 0.10 * s)
    ell(img, spine, (0.045 * s, 0.04 * s), HU_CORTEX)
    ell(img, spine, (0.035 * s, 0.03 * s), HU_BONE)
    ell(img, (spine[0], spine[1] - 0.055 * s), (0.018 * s, 0.015 * s), HU_SOFT - 20)
    if z > 0.7:  # liver under the right diaphragm
        depth = np.clip((z - 0.7) / 0.3, 0, 1)
        liver = np.zeros((size, size), np.uint8)
        ell(liver, (c[0] - 0.1 * s, c[1]), (0.2 * s * depth, 0.18 * s * depth), 255)
        img[(liver > 127) & ~lung_px] = HU_SOFT + 20

    # Vessels inside the lungs: 3D tubes cut at this height.
    if scale > 0:
        vessel_layer = np.zeros((size, size), np.float32)
        for x0, y0, dx, dy, r in chest.vessels:
            side = np.sign(x0)
            px = c[0] + (side * chest.lung_gap + (x0 - side * 0.12) * scale + dx * (z - 0.5)) * s
            py = c[1] + (y0 * scale + dy * (z - 0.5)) * s
            cv2.circle(vessel_layer, (int(px * 16), int(py * 16)), max(16, int(r * s * 16)), 1.0, -1, cv2.LINE_AA, shift=4)
        vessel_layer *= lung_px
        img += vessel_layer * (HU_BLOOD - HU_LUNG)

    img = cv2.GaussianBlur(img, (0, 0), 0.6 * s / 512)
    img += noise_hu * rng.standard_normal(size=img.shape, dtype=np.float32)
    img[lung_px] += 25.0 * cv2.resize(rng.standard_normal((16, 16), dtype=np.float32), (size, size))[lung_px]
    return np.clip(img, -1024, 3071).astype(np.int16), lungs


def render_volume(chest: Chest, n_slices: int, *, size: int = 512, rng: np.random.Generator,
                  z_range: tuple[float, float] = (0.0, 1.0)):
    """Stack ``n_slices`` axial slices evenly over ``z_range``.

    Returns
    -------
    image : ndarray (n_slices, size, size), int16, HU
    mask : ndarray (n_slices, size, size), uint8, 0 / 255
    """
    image = np.empty((n_slices, size, size), np.int16)
    mask = np.empty((n_slices, size, size), np.uint8)
    for i, z in enumerate(np.linspace(z_range[0], z_range[1], n_slices)):
        image[i], mask[i] = render_slice(chest, float(z), size=size, rng=rng)
    return image, mask
