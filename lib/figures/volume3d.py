"""Interactive 3D rendering of binary volumes: marching-cubes surfaces as plotly meshes."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from skimage.measure import marching_cubes

from lib.figures.display import FN_RGB, FP_RGB, TP_RGB
from lib.figures.palette import readable


def surface(mask: np.ndarray, *, spacing=(1.0, 1.0, 1.0), step: int = 1):
    """Triangle mesh of a binary volume's surface: (vertices (V, 3) in (z, y, x) * spacing, faces (F, 3)),
    or None when the volume is empty or full (no surface)."""
    mask = np.asarray(mask)
    if mask.ndim == 4:
        mask = mask[..., 0]
    if mask.min() == mask.max():
        return None
    padded = np.pad(mask.astype(np.float32), 1)  # closes surfaces that touch the border
    vertices, faces, _, _ = marching_cubes(padded, level=0.5, spacing=tuple(float(s) for s in spacing), step_size=step)
    return vertices - np.asarray(spacing, dtype=np.float32), faces


# Plotly's own starting view is from (1.25, 1.25, 1.25): turned 45 degrees, tilted 35 degrees up, 2.17 away.
DEFAULT_TURN_DEG, DEFAULT_TILT_DEG, DISTANCE = 45, 35, 2.17


def camera(turn_deg: float = DEFAULT_TURN_DEG, tilt_deg: float = DEFAULT_TILT_DEG, *, distance: float = DISTANCE) -> dict:
    """A plotly scene camera that looks at the middle of the scene from ``turn_deg`` around the slice axis (0: from the
    x side, 90: from the y side) and ``tilt_deg`` above the x-y plane (-90 to 90), ``distance`` away (in plotly's
    scene units): the view a keyboard user sets with two sliders instead of dragging.

    Examples
    --------
    >>> camera(0, 0)["eye"]
    {'x': 2.17, 'y': 0.0, 'z': 0.0}
    >>> camera(90, 90)["eye"], camera(90, 90)["up"]
    ({'x': 0.0, 'y': 0.0, 'z': 2.17}, {'x': 0.0, 'y': -1.0, 'z': 0.0})
    """
    if not -90 <= tilt_deg <= 90:
        raise ValueError(f"the tilt must be between -90 and 90 degrees, got {tilt_deg}")
    turn, tilt = np.radians(turn_deg), np.radians(tilt_deg)
    eye = distance * np.array([np.cos(tilt) * np.cos(turn), np.cos(tilt) * np.sin(turn), np.sin(tilt)])
    eye = [round(float(v), 4) + 0.0 for v in eye]  # + 0.0: no "-0.0"
    up = (0.0, 0.0, 1.0)
    if abs(tilt_deg) == 90:  # looking straight down (or up) the slice axis: "up" on the screen is the far side
        up = tuple(round(float(v), 4) + 0.0 for v in (-np.sign(tilt) * np.cos(turn), -np.sign(tilt) * np.sin(turn), 0.0))
    return dict(eye=dict(zip("xyz", eye)), up=dict(zip("xyz", up)), center=dict(x=0, y=0, z=0))


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb)


def lungs_3d_figure(prediction: np.ndarray, truth: np.ndarray, *, spacing=(1.0, 1.0, 1.0), step: int = 1,
                    view: dict | None = None) -> go.Figure:
    """Where the model is wrong, in 3D, in the slice views' colours (lib.figures.palette): missed lung (in the truth,
    not predicted; dark vermilion) and false lung (predicted, not in the truth; yellow) as surfaces, over the lung both
    agree on (sky blue), so the errors show from across a room. Each legend entry counts its voxels; the title gives the shares.

    Drawing the prediction over the true lungs (as before) hid the missed lung behind what the model found. Drawing
    the agreed lung faint and the errors opaque did the opposite: a one-voxel rim of missed lung has two surfaces
    around the whole lung and read as half the lung missed when 92 % was found. So the agreed lung is drawn half
    opaque, the errors a little less than solid, and the title says how much was found.

    ``view``: where the camera starts (:func:`camera`; default plotly's own view).
    """
    truth, prediction = np.asarray(truth) > 0, np.asarray(prediction) > 0
    if truth.ndim == 4:
        truth, prediction = truth[..., 0], prediction[..., 0]
    if truth.shape != prediction.shape:
        raise ValueError(f"truth and prediction must have the same shape, got {truth.shape} and {prediction.shape}")
    true_voxels = int(truth.sum())
    fig = go.Figure()
    for mask, name, colour, opacity in (
            (truth & prediction, "lung found (both agree)", TP_RGB, 0.5),
            (truth & ~prediction, "missed lung (truth only)", FN_RGB, 0.85),
            (prediction & ~truth, "false lung (prediction only)", FP_RGB, 0.85)):
        voxels = int(mask.sum())
        share = f", {voxels / true_voxels:.1%} of the true lung" if true_voxels else ""
        mesh = surface(mask, spacing=spacing, step=step)
        if mesh is None:
            continue
        (z, y, x), (i, j, k) = mesh[0].T, mesh[1].T
        fig.add_trace(go.Mesh3d(x=x, y=y, z=z, i=i, j=j, k=k, color=_hex(colour), opacity=opacity,
                                # two lines each: a legend entry never wraps by itself, and one line is wider than
                                # a phone (WCAG 1.4.10 reflow); entries wrap onto more rows
                                name=f"{name}:<br>{voxels:,} voxels{share}", showlegend=True, flatshading=True,
                                hoverinfo="name"))
    found, false = int((truth & prediction).sum()), int((prediction & ~truth).sum())
    # two lines: a title never wraps by itself, and one line is wider than a phone (WCAG 1.4.10 reflow)
    title = (f"Found {found / true_voxels:.1%} of the true lung,<br>missed {1 - found / true_voxels:.1%};<br>false lung "
             f"{false / true_voxels:.1%} of its size" if true_voxels else "The true mask holds no lung")
    fig.update_layout(title=dict(text=title, font=dict(size=15)), height=600, margin=dict(l=0, r=0, t=80, b=0), legend=dict(orientation="h", font=dict(size=15)),
                      scene=dict(aspectmode="data", xaxis_title="x", yaxis_title="y", zaxis_title="slice",
                                 zaxis=dict(autorange="reversed"), **({"camera": view} if view else {})))
    return readable(fig)
