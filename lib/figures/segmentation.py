"""Figures for segmentation results."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lib.figures.palette import ROC, hex_colour, readable

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
    fig = go.Figure(go.Histogram(x=values, xbins=dict(start=low, end=high + 1e-4, size=size), marker_color=hex_colour(ROC["curve"])))
    title = None
    if values.size:
        mean = float(np.nanmean(values))
        fig.add_vline(x=mean, line_dash="dash", line_color=hex_colour(ROC["handle"]), line_width=3)
        title = f"{name} of each test image:<br>mean {mean:.3f} (the dashed line)"  # two lines: fits a phone
    fig.update_layout(height=360, font=FONT, title=title, xaxis_title=name, yaxis_title="test images",
                      xaxis_range=[low, high + size / 2], margin=dict(t=80, b=40), bargap=0.05)
    return readable(fig)


def per_slice_chart(values: np.ndarray, *, name: str = "IoU") -> go.Figure:
    """A score per slice along axis 0 (slices without lung in either mask score 1 by the empty rule)."""
    values = np.asarray(values, dtype=float)
    fig = go.Figure(go.Scatter(x=np.arange(len(values)), y=values, mode="lines+markers", marker_size=4))
    fig.update_layout(height=300, font=FONT, xaxis_title="slice (axis 0)", yaxis_title=name, yaxis_range=[0, 1.02],
                      margin=dict(t=30, b=40))
    return readable(fig)


def sweep_figure(rows: list[dict], experiment) -> go.Figure:
    """A test metric against the setting an experiment varies (:class:`lib.contract.Experiment`), one line per
    experiment, the reference value of the setting (full labels) as a dashed line.

    Parameters
    ----------
    rows : dicts with "experiment" (a name), "value" (of the setting) and "metric" (the test result)
    """
    fig = go.Figure()
    experiments: dict[str, list[dict]] = {}
    for row in rows:
        experiments.setdefault(str(row["experiment"]), []).append(row)
    for name, points in experiments.items():
        points = sorted(points, key=lambda r: r["value"])
        fig.add_trace(go.Scatter(x=[p["value"] for p in points], y=[p["metric"] for p in points], mode="lines+markers",
                                 name=name, marker_size=10))
        at_reference = [p["metric"] for p in points if experiment.reference is not None and p["value"] == experiment.reference]
        if at_reference:
            fig.add_hline(y=at_reference[-1], line_dash="dash", line_color="grey",
                          annotation_text=f"{experiment.reference_name} ({name}): {at_reference[-1]:.3f}",
                          annotation_position="bottom right")
    fig.update_layout(height=380, font=FONT, xaxis_title=experiment.x_title or experiment.setting,
                      yaxis_title=experiment.y_title or experiment.metric, xaxis_type="log" if experiment.log_x else None,
                      yaxis_range=[0, 1.02], margin=dict(t=30, b=40), title=experiment.figure_title or experiment.title)
    return readable(fig)
