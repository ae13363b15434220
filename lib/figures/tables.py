"""The numbers behind a figure, as rows of a table: what a chart's "Show the data" shows to anyone who cannot see it."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def _value(v):
    """A plain Python value for a table cell (numpy scalars and NaN made readable)."""
    if isinstance(v, (np.generic,)):
        v = v.item()
    if isinstance(v, float):
        return round(v, 4) if np.isfinite(v) else None
    return v


def chart_table(fig: go.Figure) -> list[dict]:
    """One row per point of each 2D trace (``{"series": name, <x title>: x, <y title>: y}``); a histogram's bins as
    ``bin from``, ``bin to`` and the count. 3D traces (surfaces) have no rows: their legend names say what they hold.

    Examples
    --------
    >>> chart_table(go.Figure(go.Bar(x=["a", "b"], y=[3, 4], name="n")).update_layout(xaxis_title="k"))
    [{'series': 'n', 'k': 'a', 'y': 3}, {'series': 'n', 'k': 'b', 'y': 4}]
    """
    x_title = (fig.layout.xaxis.title.text if fig.layout.xaxis.title else None) or "x"
    y_title = (fig.layout.yaxis.title.text if fig.layout.yaxis.title else None) or "y"
    rows: list[dict] = []
    for i, trace in enumerate(fig.data):
        name = trace.name or f"series {i + 1}"
        if trace.type == "histogram":
            values = np.asarray(trace.x, float)
            values = values[np.isfinite(values)]
            bins = trace.xbins
            if bins is not None and bins.size:
                start, size = float(bins.start), float(bins.size)
                steps = int(np.ceil(round((float(bins.end) - start) / size, 6)))
                edges = np.round(start + size * np.arange(steps + 1), 10)  # rounded: 0.95 starts a bin, as plotly draws it
            else:
                edges = np.histogram_bin_edges(values, bins="auto") if values.size else np.array([0.0, 1.0])
            counts, edges = np.histogram(values, bins=edges)
            rows += [{"series": name, "bin from": _value(lo), "bin to": _value(hi), "count": int(c)}
                     for lo, hi, c in zip(edges[:-1], edges[1:], counts) if c]
        elif trace.type in ("scatter", "bar") and trace.x is not None and trace.y is not None:
            rows += [{"series": name, x_title: _value(x), y_title: _value(y)} for x, y in zip(trace.x, trace.y)]
    return rows


def outcome_counts(truth: np.ndarray, prediction: np.ndarray) -> dict[str, int]:
    """Pixels (or voxels) of each outcome: ``{"tp", "fp", "fn", "tn"}`` of two binary arrays of one shape."""
    truth, prediction = np.asarray(truth) > 0, np.asarray(prediction) > 0
    if truth.shape != prediction.shape:
        raise ValueError(f"truth and prediction must have the same shape, got {truth.shape} and {prediction.shape}")
    return {"tp": int((truth & prediction).sum()), "fp": int((~truth & prediction).sum()),
            "fn": int((truth & ~prediction).sum()), "tn": int((~truth & ~prediction).sum())}
