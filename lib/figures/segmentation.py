"""Figures for segmentation results."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

FONT = dict(size=16)


def histogram_range(values: np.ndarray, *, step: float = 0.05) -> tuple[float, float]:
    """The x range of a score histogram: from just below the lowest score (a multiple of ``step``) to 1.

    Examples
    --------
    >>> histogram_range(np.array([0.57, 0.9, 1.0]))
    (0.5, 1.0)
    >>> histogram_range(np.array([0.0, 0.5]))
    (0.0, 1.0)
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    low = np.floor(round(values.min() / step, 6)) * step - step  # one empty step of margin on the left
    return float(round(max(0.0, low), 10)), 1.0


def score_histogram(values: np.ndarray, *, name: str = "IoU", bins_per_unit: int = 50) -> go.Figure:
    """Histogram of per-image (or per-slice) scores in [0, 1], zoomed to where they are, with the mean marked by a
    dashed line and named in the title (a label on the line would sit on the tallest bar)."""
    values = np.asarray(values, dtype=float)
    low, high = histogram_range(values)
    size = 1.0 / bins_per_unit if high - low < 0.6 else 0.05
    fig = go.Figure(go.Histogram(x=values, xbins=dict(start=low, end=high + 1e-4, size=size), marker_color="#1f77b4"))
    title = None
    if values.size:
        mean = float(np.nanmean(values))
        fig.add_vline(x=mean, line_dash="dash", line_color="#d62728", line_width=3)
        title = f"{name} of each test image: mean {mean:.3f} (dashed red line)"
    fig.update_layout(height=340, font=FONT, title=title, xaxis_title=name, yaxis_title="test images",
                      xaxis_range=[low, high + size / 2], margin=dict(t=60, b=40), bargap=0.05)
    return fig


def per_slice_chart(values: np.ndarray, *, name: str = "IoU") -> go.Figure:
    """A score per slice along axis 0 (slices without lung in either mask score 1 by the empty rule)."""
    values = np.asarray(values, dtype=float)
    fig = go.Figure(go.Scatter(x=np.arange(len(values)), y=values, mode="lines+markers", marker_size=4))
    fig.update_layout(height=300, font=FONT, xaxis_title="slice (axis 0)", yaxis_title=name, yaxis_range=[0, 1.02],
                      margin=dict(t=30, b=40))
    return fig


def fraction_figure(rows: list[dict]) -> go.Figure:
    """Test IoU against the fraction of labelled slices, one line per experiment, full labelling dashed.

    Parameters
    ----------
    rows : dicts with "experiment" (a name), "fraction" (0..1] and "iou"
    """
    fig = go.Figure()
    experiments: dict[str, list[dict]] = {}
    for row in rows:
        experiments.setdefault(str(row["experiment"]), []).append(row)
    for name, points in experiments.items():
        points = sorted(points, key=lambda r: r["fraction"])
        fig.add_trace(go.Scatter(x=[p["fraction"] for p in points], y=[p["iou"] for p in points], mode="lines+markers",
                                 name=name, marker_size=10))
        full = [p["iou"] for p in points if p["fraction"] >= 1.0]
        if full:
            fig.add_hline(y=full[-1], line_dash="dash", line_color="grey",
                          annotation_text=f"full labels ({name}): {full[-1]:.3f}", annotation_position="bottom right")
    fig.update_layout(height=380, font=FONT, xaxis_title="fraction of slices labelled per axis", yaxis_title="test IoU",
                      xaxis_type="log", yaxis_range=[0, 1.02], margin=dict(t=30, b=40),
                      title="How close does sparse labelling get to full labelling?")
    return fig
