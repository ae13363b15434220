"""Interactive 3D rendering of binary volumes: marching-cubes surfaces as plotly meshes."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from skimage.measure import marching_cubes


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


def lungs_3d_figure(prediction: np.ndarray, truth: np.ndarray, *, spacing=(1.0, 1.0, 1.0), step: int = 1) -> go.Figure:
    """Predicted (red) against true (blue, translucent) lungs, rotatable in the browser."""
    fig = go.Figure()
    for mask, name, colour, opacity in ((truth, "ground truth", "#1f77b4", 0.25), (prediction, "prediction", "#d62728", 0.55)):
        mesh = surface(mask, spacing=spacing, step=step)
        if mesh is None:
            continue
        (z, y, x), (i, j, k) = mesh[0].T, mesh[1].T
        fig.add_trace(go.Mesh3d(x=x, y=y, z=z, i=i, j=j, k=k, color=colour, opacity=opacity, name=name, showlegend=True,
                                flatshading=True, hoverinfo="name"))
    fig.update_layout(height=560, margin=dict(l=0, r=0, t=30, b=0), legend=dict(orientation="h"),
                      scene=dict(aspectmode="cube", xaxis_title="x", yaxis_title="y", zaxis_title="slice",
                                 zaxis=dict(autorange="reversed")))
    return fig
