"""Synthetic colour fundus photographs with grade-dependent diabetic-retinopathy lesions.

Each photo shows a dark background, a circular field of view with an orange-red fundus whose
pigmentation and illumination vary, an optic disc on the nasal side (mirrored between left and
right eyes), a darker macula, a branching vessel tree leaving the disc, and lesions whose number
and kind follow the grade:

====  ==============  ==========================================================================
0     no DR           none (a few distractors only: drusen, dust on the lens)
1     mild            a handful of microaneurysms
2     moderate        more microaneurysms, blot haemorrhages, hard exudates, maybe a cotton-wool spot
3     severe          many haemorrhages in all quadrants, exudates, cotton-wool spots
4     proliferative   as 3, plus tufts of fine new vessels (neovascularisation) near the disc
====  ==============  ==========================================================================

Counts are Poisson draws, lesions vary in contrast, and photos vary in focus and exposure, so the
grades overlap the way real ones do: a model has to learn, and does not get every photo right.

A second "site" (:data:`SITE_B`, written by :func:`write_other_site` into ``eyepacs/site_b/`` in the same layout) has
the same patients' mix of grades photographed with another camera: a cooler white balance, dimmer light with deeper
vignetting, softer focus and a narrower field of view. A model trained on the first site meets photos it never saw
(Zech et al. 2018; Beede et al. 2020): its scores and its AUC on them show the shift.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from lib.demo.marker import DEMO_MARKER

# Share of each level among EyePACS training labels (25810, 2443, 5292, 873, 708 of 35126).
EYEPACS_LEVEL_MIX = (0.735, 0.070, 0.151, 0.025, 0.019)

# Mean lesion counts per grade (at a 512-pixel-high photo); Poisson draws around them.
_LESION_MEANS = {
    #          MA   haem  exud  cws   nv
    0: dict(ma=0.4, haem=0.1, exud=0.0, cws=0.0, nv=0.0),
    1: dict(ma=4.0, haem=0.5, exud=0.3, cws=0.05, nv=0.0),
    2: dict(ma=8.0, haem=5.0, exud=4.0, cws=0.8, nv=0.0),
    3: dict(ma=12.0, haem=12.0, exud=7.0, cws=2.5, nv=0.1),
    4: dict(ma=10.0, haem=8.0, exud=5.0, cws=2.0, nv=1.6),
}


@dataclass(frozen=True)
class Camera:
    """How one site's camera renders every photo (applied on top of each photo's own random style).

    gain : per-channel (R, G, B) multipliers: the white balance and brightness
    vignette : how much darker the rim is than the centre (0.45: the first site)
    extra_blur : added to each photo's blur sigma, in pixels at a 512-pixel-high photo
    field : the field of view's radius relative to the first site's
    """

    name: str
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    vignette: float = 0.45
    extra_blur: float = 0.0
    field: float = 1.0


SITE_A = Camera("site A")
SITE_B = Camera("site B", gain=(0.72, 0.9, 1.3), vignette=0.7, extra_blur=1.3, field=0.82)
OTHER_SITE_FOLDER = "site_b"  # inside the EyePACS demo folder, in the same Kaggle layout


@dataclass(frozen=True)
class FundusStyle:
    """Per-photo appearance, drawn at random."""

    base_rgb: tuple[float, float, float]
    exposure: float
    blur_sigma: float
    light_angle: float


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in [-1, 1] of ``shape``: a small random grid upsampled smoothly."""
    grid = rng.uniform(-1, 1, size=(cells, cells)).astype(np.float32)
    return cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _vessel_tree(rng, layer, start, angle, length, width, depth, step, curl):
    """Draw a branching vessel as a random walk with gentle curvature onto ``layer`` (float32)."""
    x, y = start
    points = [(x, y)]
    n_steps = max(2, int(length / step))
    bend = curl + rng.normal(0, abs(curl) * 0.5 + 1e-3)
    for i in range(n_steps):
        angle += bend + rng.normal(0, 0.08)
        x += step * np.cos(angle)
        y += step * np.sin(angle)
        points.append((x, y))
        if depth > 0 and i > 2 and rng.random() < 0.06:
            side = rng.choice((-1.0, 1.0))
            _vessel_tree(rng, layer, (x, y), angle + side * rng.uniform(0.4, 1.0), length * rng.uniform(0.3, 0.55),
                         max(1.0, width * 0.7), depth - 1, step, curl * 1.3)
    pts = np.round(np.array(points) * 4).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(layer, [pts], False, 1.0, thickness=max(1, int(round(width))), lineType=cv2.LINE_AA, shift=2)


def _blend(canvas: np.ndarray, layer: np.ndarray, rgb, strength: float, blur: float = 0.0) -> None:
    """canvas <- canvas + a * (rgb - canvas), a = strength * blur(layer), in place on our own canvas.

    Only the bounding box of the layer's ink (widened by the blur) is touched: most lesion layers
    cover a small part of the photo, and many are empty.
    """
    ink = (layer > 0).astype(np.uint8)
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return
    pad = int(3 * blur) + 1
    y0, y1 = max(0, y - pad), min(layer.shape[0], y + h + pad)
    x0, x1 = max(0, x - pad), min(layer.shape[1], x + w + pad)
    part = layer[y0:y1, x0:x1]
    if blur > 0:
        part = cv2.GaussianBlur(part, (0, 0), blur)
    alpha = np.minimum(part * strength, 1.0)[..., None]
    region = canvas[y0:y1, x0:x1]
    region += alpha * (np.asarray(rgb, dtype=np.float32) - region)


def _random_points(rng, n, center, radius, avoid=None, avoid_r=0.0):
    """n points uniformly inside a disc, rejecting those within ``avoid_r`` of ``avoid``."""
    out = []
    while len(out) < n:
        r = radius * np.sqrt(rng.random())
        t = rng.uniform(0, 2 * np.pi)
        p = (center[0] + r * np.cos(t), center[1] + r * np.sin(t))
        if avoid is not None and np.hypot(p[0] - avoid[0], p[1] - avoid[1]) < avoid_r:
            continue
        out.append(p)
    return out


def render_fundus(level: int, eye: str, *, rng: np.random.Generator, height: int = 512, aspect: float = 1.5,
                  camera: Camera = SITE_A) -> np.ndarray:
    """Render one synthetic fundus photograph.

    Parameters
    ----------
    level : int in 0..4
        The DR grade whose lesions are drawn.
    eye : {"left", "right"}
        Decides the side of the optic disc.
    rng : numpy Generator, keyword-only
    height : int, keyword-only
        Photo height in pixels; the width is ``round(height * aspect)``. Lesion sizes scale with it.
    aspect : float, keyword-only
    camera : Camera, keyword-only
        The site's camera (:data:`SITE_A`, the default, or :data:`SITE_B`); the random draws do not depend on it, so
        one seed gives the same eye through either camera.

    Returns
    -------
    ndarray of shape (height, width, 3), uint8, RGB.
    """
    if level not in _LESION_MEANS:
        raise ValueError(f"level must be 0..4, got {level}")
    if eye not in ("left", "right"):
        raise ValueError(f"eye must be 'left' or 'right', got {eye!r}")
    h, w = height, int(round(height * aspect))
    s = height / 512.0  # every size below is given for a 512-pixel-high photo
    cx, cy = w / 2 + rng.normal(0, 6 * s), h / 2 + rng.normal(0, 4 * s)
    radius = 0.47 * h * rng.uniform(0.96, 1.02) * camera.field
    style = FundusStyle(
        base_rgb=(rng.uniform(175, 225), rng.uniform(70, 110), rng.uniform(25, 55)),
        exposure=float(np.clip(rng.normal(1.0, 0.12), 0.65, 1.3)),
        blur_sigma=float(abs(rng.normal(0, 1.0 * s)) + 0.4 * s),
        light_angle=rng.uniform(0, 2 * np.pi),
    )
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rr = np.hypot(xx - cx, yy - cy) / radius

    # Fundus background: pigment colour, vignetting, uneven illumination, choroidal texture.
    canvas = np.empty((h, w, 3), np.float32)
    canvas[:] = np.asarray(style.base_rgb, np.float32)
    shade = 1.0 - camera.vignette * np.clip(rr, 0, 1) ** 2.2
    shade *= 1.0 + 0.12 * ((xx - cx) * np.cos(style.light_angle) + (yy - cy) * np.sin(style.light_angle)) / radius
    shade *= 1.0 + 0.06 * _smooth_noise(rng, (h, w), 7) + 0.03 * _smooth_noise(rng, (h, w), 25)
    canvas *= shade[..., None]

    # Optic disc on the nasal side; macula about 2.5 disc diameters temporal to it.
    side = 1.0 if eye == "right" else -1.0
    disc_r = radius * rng.uniform(0.075, 0.095)
    disc = (cx + side * radius * rng.uniform(0.40, 0.48), cy + rng.normal(0, 0.04 * radius))
    macula = (disc[0] - side * 5.0 * disc_r, disc[1] + rng.normal(0, 0.03 * radius))
    mac_layer = np.zeros((h, w), np.float32)
    cv2.circle(mac_layer, (int(macula[0]), int(macula[1])), int(2.2 * disc_r), 1.0, -1, cv2.LINE_AA)
    _blend(canvas, mac_layer, (90, 35, 15), 0.55, blur=1.2 * disc_r)

    # Vessel tree: arcades leave the disc up and down, curving around the macula; nasal branches.
    vessels = np.zeros((h, w), np.float32)
    toward_macula = np.pi if side > 0 else 0.0
    for base_angle, curl in ((-np.pi / 2, -0.035), (np.pi / 2, 0.035)):
        for offset in (0.25, 0.55):
            a = base_angle + side * (-offset if side > 0 else offset)
            start_angle = a + (toward_macula - a) * 0.35
            _vessel_tree(rng, vessels, disc, start_angle, radius * rng.uniform(1.0, 1.4), 5.0 * s * rng.uniform(0.8, 1.1),
                         3, 6.0 * s, curl * (1 if side > 0 else -1))
    for _ in range(3):
        _vessel_tree(rng, vessels, disc, (0.0 if side > 0 else np.pi) + rng.normal(0, 0.9), radius * 0.55,
                     3.5 * s, 2, 6.0 * s, 0.02)
    _blend(canvas, vessels, (115, 18, 12), 0.7 * rng.uniform(0.85, 1.05), blur=0.7 * s)

    disc_layer = np.zeros((h, w), np.float32)
    cv2.ellipse(disc_layer, (int(disc[0]), int(disc[1])), (int(disc_r * 0.9), int(disc_r)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    _blend(canvas, disc_layer, (250, 205, 135), 0.85, blur=0.25 * disc_r)
    cup = np.zeros((h, w), np.float32)
    cv2.circle(cup, (int(disc[0] + side * 0.15 * disc_r), int(disc[1])), int(disc_r * 0.4), 1.0, -1, cv2.LINE_AA)
    _blend(canvas, cup, (255, 240, 205), 0.6, blur=0.2 * disc_r)

    # Lesions. Counts from the grade; contrast varies so some are easy to miss, as in real photos.
    means = _LESION_MEANS[level]
    field_r = radius * 0.85
    counts = {k: int(rng.poisson(v)) for k, v in means.items()}
    layer = np.zeros((h, w), np.float32)
    for p in _random_points(rng, counts["ma"], (cx, cy), field_r, disc, 1.5 * disc_r):
        cv2.circle(layer, (int(p[0]), int(p[1])), max(1, int(round(rng.uniform(1.5, 2.8) * s))), 1.0, -1, cv2.LINE_AA)
    _blend(canvas, layer, (105, 12, 10), rng.uniform(0.55, 0.9), blur=0.6 * s)

    layer[:] = 0
    for p in _random_points(rng, counts["haem"], (cx, cy), field_r, disc, 1.5 * disc_r):
        axes = (int(rng.uniform(4, 12) * s) + 1, int(rng.uniform(3, 9) * s) + 1)
        cv2.ellipse(layer, (int(p[0]), int(p[1])), axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
    _blend(canvas, layer, (95, 10, 8), rng.uniform(0.6, 0.9), blur=1.2 * s)

    layer[:] = 0
    for center in _random_points(rng, counts["exud"], macula, radius * 0.45, disc, 1.5 * disc_r):
        for _ in range(int(rng.integers(2, 8))):  # hard exudates come in small clusters
            q = (center[0] + rng.normal(0, 9 * s), center[1] + rng.normal(0, 9 * s))
            cv2.circle(layer, (int(q[0]), int(q[1])), max(1, int(rng.uniform(1.5, 3.8) * s)), 1.0, -1, cv2.LINE_AA)
    _blend(canvas, layer, (245, 215, 90), rng.uniform(0.5, 0.85), blur=0.5 * s)

    layer[:] = 0
    for p in _random_points(rng, counts["cws"], disc, radius * 0.6, disc, 1.3 * disc_r):
        axes = (int(rng.uniform(7, 14) * s) + 1, int(rng.uniform(5, 10) * s) + 1)
        cv2.ellipse(layer, (int(p[0]), int(p[1])), axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
    _blend(canvas, layer, (240, 225, 200), rng.uniform(0.4, 0.7), blur=3.0 * s)

    layer[:] = 0
    for _ in range(counts["nv"]):  # tufts of fine, tortuous new vessels on or near the disc
        c = (disc[0] + rng.normal(0, 1.5 * disc_r), disc[1] + rng.normal(0, 1.5 * disc_r))
        for _ in range(int(rng.integers(4, 9))):
            _vessel_tree(rng, layer, c, rng.uniform(0, 2 * np.pi), disc_r * rng.uniform(0.8, 1.6), 1.0 * s, 1, 2.5 * s, 0.35)
    _blend(canvas, layer, (140, 20, 20), 0.75)

    # Distractors present at every grade: drusen and dust on the lens.
    layer[:] = 0
    for p in _random_points(rng, int(rng.poisson(1.5)), macula, radius * 0.35):
        cv2.circle(layer, (int(p[0]), int(p[1])), max(1, int(rng.uniform(1.5, 3) * s)), 1.0, -1, cv2.LINE_AA)
    _blend(canvas, layer, (225, 190, 110), 0.35, blur=1.0 * s)
    layer[:] = 0
    for p in _random_points(rng, int(rng.poisson(0.8)), (cx, cy), field_r):
        cv2.circle(layer, (int(p[0]), int(p[1])), int(rng.uniform(6, 14) * s) + 1, 1.0, -1, cv2.LINE_AA)
    _blend(canvas, layer, (40, 20, 10), 0.3, blur=4.0 * s)

    canvas *= style.exposure
    if camera != SITE_A:
        canvas *= np.asarray(camera.gain, np.float32)
    canvas = cv2.GaussianBlur(canvas, (0, 0), style.blur_sigma + camera.extra_blur * s)
    canvas += 2.5 * rng.standard_normal(size=(h, w, 1), dtype=np.float32)
    # Field-of-view edge: black outside the circle, a soft rim just inside.
    fov = np.clip((1.0 - rr) * radius / (2.0 * s), 0, 1)
    canvas *= fov[..., None]
    canvas += rng.uniform(0, 4, size=(h, w, 1)).astype(np.float32) * (1 - fov[..., None])
    return np.clip(canvas, 0, 255).astype(np.uint8)


def draw_levels(n: int, rng: np.random.Generator, mix=EYEPACS_LEVEL_MIX, *,
                first_patient: int = 10) -> list[tuple[int, str, int]]:
    """Draw (patient id, eye, level) for ``n`` photos, both eyes per patient, EyePACS-like mix.

    The right eye takes the patient's level; the left eye keeps it with probability 0.8, else takes
    a fresh draw from the mix (DR is usually, but not always, symmetric). Both marginals follow ``mix``.
    """
    out: list[tuple[int, str, int]] = []
    patient = first_patient
    while len(out) < n:
        level = int(rng.choice(5, p=np.asarray(mix) / np.sum(mix)))
        left = level if rng.random() < 0.8 else int(rng.choice(5, p=np.asarray(mix) / np.sum(mix)))
        out.append((patient, "left", left))
        if len(out) < n:
            out.append((patient, "right", level))
        patient += int(rng.integers(1, 4))
    return out


def _site_photo_job(args) -> None:
    """One photo of the other site (a module-level function: the writer's process pool pickles it)."""
    folder, seed, index, name, level, eye, height = args
    rng = np.random.default_rng([seed, 4, index])
    rgb = render_fundus(level, eye, rng=rng, height=height, camera=SITE_B)
    target = Path(folder) / f"{name}.jpeg"
    if not cv2.imwrite(str(target), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]):
        raise OSError(f"could not write {target}")


def write_other_site(folder: Path, size, seed: int, pool, progress) -> None:
    """The second site: half as many photos as ``size.n_photos`` (other patients, ids from 50000), taken with
    :data:`SITE_B`'s camera, in the EyePACS layout (``folder/trainLabels.csv``, ``folder/train/*.jpeg``) and marked as
    demo data.

    Parameters
    ----------
    folder : the new folder (it must not exist)
    size : :class:`lib.demo.write.DemoSize`; ``n_photos`` and ``photo_height`` are used
    seed : int; the same seed as the first site's (other draws)
    pool : an executor with ``map`` (the writer's process pool)
    progress : callable(fraction, message)
    """
    train = Path(folder) / "train"
    train.mkdir(parents=True)
    photos = draw_levels(max(2, size.n_photos // 2), np.random.default_rng([seed, 5]), first_patient=50000)
    names = [f"{patient}_{eye}" for patient, eye, _ in photos]
    with open(Path(folder) / "trainLabels.csv", "w") as f:
        f.write("image,level\n" + "".join(f"{name},{level}\n" for name, (_, _, level) in zip(names, photos)))
    jobs = [(str(train), seed, i, name, level, eye, size.photo_height)
            for i, (name, (_, eye, level)) in enumerate(zip(names, photos))]
    for done, _ in enumerate(pool.map(_site_photo_job, jobs, chunksize=8), start=1):
        if done % 25 == 0 or done == len(jobs):
            progress(1.0, f"other site's photos {done}/{len(jobs)}")
    marker = {"generator": "lib.demo", "seed": seed, "site": asdict(SITE_B), "n_photos": len(jobs)}
    (Path(folder) / DEMO_MARKER).write_text(json.dumps(marker, indent=2))


def other_site(data: str | Path) -> Path | None:
    """The demo's second site beside a dataset folder (``<data>/site_b``, the same layout), or None."""
    folder = Path(data) / OTHER_SITE_FOLDER
    return folder if (folder / "trainLabels.csv").is_file() else None
