"""Plotly charts for the dataset explorers."""

from __future__ import annotations

import math
from typing import Mapping

import plotly.graph_objects as go

from lib.metrics.roc import precision_recall
from lib.figures.palette import ROC, hex_colour, readable

FONT = dict(size=18)  # readable on a projector
_REFER, _NO_REFER = hex_colour(ROC["handle"]), hex_colour(ROC["curve"])  # vermilion and blue (lib.figures.palette)
# An axis from 0 to 1: ticks 0.0, 0.2 ... 1.0 with their leading zero, and room for them and the title (automargin).
UNIT_AXIS = dict(tickformat=".1f", dtick=0.2, automargin=True)


def level_histogram(counts: Mapping[int, int], names: Mapping[int, str]) -> go.Figure:
    """Bar chart of photos per DR level, the largest class's share in the title.

    Parameters
    ----------
    counts : {level: number of photos}
    names : {level: readable name}
    """
    levels = sorted(counts)
    total = sum(counts.values())
    values = [counts[k] for k in levels]
    largest = max(values) if values else 0
    share = largest / total if total else 0.0
    fig = go.Figure(go.Bar(
        x=[f"{k}: {names.get(k, k)}" for k in levels], y=values,
        text=[f"{v} ({v / total:.1%})" if total else "0" for v in values], textposition="outside",
        # referred levels vermilion and hatched, the others blue: told apart by pattern as well as colour
        marker=dict(color=[_REFER if k >= 2 else _NO_REFER for k in levels],
                    pattern=dict(shape=["/" if k >= 2 else "" for k in levels], fgcolor="white", solidity=0.25)),
    ))
    fig.update_layout(
        # two lines: a title never wraps by itself, and one line is wider than a phone (WCAG 1.4.10 reflow)
        title=f"Photos per level:<br>the largest class is {share:.1%} of {total}",
        yaxis_title="photos", font=FONT, height=440, margin=dict(t=90, b=40), yaxis_range=[0, largest * 1.18 + 1],
    )
    return readable(fig)


def class_counts_chart(before: Mapping[str, int], after: Mapping[str, int]) -> go.Figure:
    """Grouped bars: class counts before and after balanced sampling."""
    classes = list(before)
    fig = go.Figure([
        go.Bar(name="all photos", x=classes, y=[before[c] for c in classes], text=[before[c] for c in classes], textposition="outside"),
        go.Bar(name="balanced sample", x=classes, y=[after.get(c, 0) for c in classes], text=[after.get(c, 0) for c in classes], textposition="outside"),
    ])
    fig.update_layout(barmode="group", font=FONT, height=380, title="Class counts before and after sampling")
    return readable(fig)


def precision_recall_figure(tpr, fpr, *, test_prevalence: float, prevalence: float, point: tuple[float, float]) -> go.Figure:
    """The precision-recall curve of the test set and of a population at ``prevalence``, with the chosen operating
    point (its sensitivity and specificity) marked on both."""
    fig = go.Figure()
    sensitivity, specificity = point
    for prev, name, dash in ((test_prevalence, f"test set ({test_prevalence:.0%} refer)", "solid"),
                             (prevalence, f"screened population ({prevalence:.0%} refer)", "dot")):
        precision, recall = precision_recall(tpr, fpr, prev)
        fig.add_trace(go.Scatter(x=recall, y=precision, mode="lines", name=name, line=dict(dash=dash, width=3)))
        here, _ = precision_recall([sensitivity], [1 - specificity], prev)
        fig.add_trace(go.Scatter(x=[sensitivity], y=here, mode="markers", marker=dict(size=14, color=_REFER, symbol="diamond"),
                                 showlegend=False, hovertemplate="recall %{x:.2f}<br>precision %{y:.2f}<extra></extra>"))
    fig.update_layout(height=420, font=FONT, title="Precision (PPV) against<br>recall (sensitivity)",
                      xaxis=dict(title="recall = sensitivity", range=[0, 1.02]),
                      yaxis=dict(title="precision = PPV", range=[0, 1.02]),
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=80, b=40))
    return readable(fig)


def pairs_figure(running_share, auc: float) -> go.Figure:
    """The share of random pairs won by the referable photo after each draw, settling on the AUC (a dashed line)."""
    running_share = list(map(float, running_share))
    fig = go.Figure(go.Scatter(x=list(range(1, len(running_share) + 1)), y=running_share, mode="lines",
                               name="share won so far", line=dict(width=3)))
    fig.add_hline(y=auc, line_dash="dash", annotation_text=f"AUC {auc:.3f}", annotation_position="bottom right")
    fig.update_layout(height=280, margin=dict(l=70, r=20, t=10, b=50), xaxis=dict(title="pairs drawn", automargin=True),
                      yaxis=dict(title="referable scored higher", range=[0, 1.02], **UNIT_AXIS), showlegend=False)
    return readable(fig)


def roc_figure(fpr, tpr, *, auc: float, point: tuple[float, float] | None = None, point_name: str = "") -> go.Figure:
    """A ROC curve (a static figure, for reports) with one operating point marked (``point`` = (fpr, tpr))."""
    fig = go.Figure(go.Scatter(x=list(map(float, fpr)), y=list(map(float, tpr)), mode="lines", name=f"AUC {auc:.3f}",
                               line=dict(width=3, shape="hv")))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color="grey"), name="chance"))
    if point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", marker=dict(size=14, color=_REFER),
                                 name=point_name or "operating point"))
    fig.update_layout(height=440, width=480, margin=dict(l=70, r=20, t=20, b=60),
                      xaxis=dict(title=dict(text="1 - specificity (false positive rate)", standoff=10),
                                 range=[0, 1], **UNIT_AXIS),
                      yaxis=dict(title=dict(text="sensitivity (true positive rate)", standoff=10),
                                 range=[0, 1.02], **UNIT_AXIS), legend=dict(x=0.45, y=0.1))
    return readable(fig)


def _padded(values, *, log: bool = False, share: bool = False, nonnegative: bool = False) -> list[float]:
    """An axis range around ``values`` with a little room on both sides; a single value gets a sensible width: a
    decade each way on a log axis (returned as powers of ten, as plotly wants them), half its size (or 1) each way
    otherwise. ``share``: values in [0, 1] (an AUC, an IoU) stay within [0, 1] plus a little; ``nonnegative``: a count
    or a setting never shown below 0."""
    values = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if log:
        logs = [math.log10(v) for v in values if v > 0] or [0.0]
        low, high = min(logs), max(logs)
        pad = 1.0 if high == low else 0.1 * (high - low) + 0.1
        return [low - pad, high + pad]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if share:
        pad = 0.1 if high == low else max(0.05, 0.1 * (high - low))
        return [max(0.0, low - pad) - 0.02, min(1.0, high + pad) + 0.02]
    pad = (abs(low) * 0.5 or 1.0) if high == low else 0.08 * (high - low)
    if nonnegative and low >= 0:
        return [max(low - pad, -0.02 * (high - low + 2 * pad)), high + pad]  # at most a sliver below 0
    return [low - pad, high + pad]


def class_runs_figure(points, *, x_title: str, y_title: str, log_x: bool = False, names: bool = True) -> go.Figure:
    """Every shared run of the class as one point (``points``: objects with run_id, who, x, y); each point carries
    its run id (``customdata``) so that a click can open it. ``names``: hovering shows who ran it (never on the
    projector).

    The axes come from the data: a learning rate (an ``x_title`` that names one) is always on a log axis, as is any
    ``log_x``; one point gets a range around it; heights all between 0 and 1 (an AUC, an IoU) stay within [0, 1],
    padded a little."""
    points = list(points)
    xs, ys = [p.x for p in points], [p.y for p in points]
    log = (log_x or "learning rate" in x_title.lower()) and bool(xs) and all(x > 0 for x in xs)
    share = bool(ys) and all(0.0 <= y <= 1.0 for y in ys)
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers", customdata=[p.run_id for p in points],
        marker=dict(size=13, color=_NO_REFER, line=dict(width=1, color="white"), opacity=0.8),
        hovertext=[p.who for p in points] if names else None,
        hovertemplate=("%{hovertext}<br>" if names else "") + "%{x:g}: %{y:.3f}<extra></extra>"))
    fig.update_layout(height=420, margin=dict(l=70, r=20, t=10, b=60),
                      xaxis=dict(title=x_title, type="log" if log else "linear", automargin=True,
                                 range=_padded(xs, log=log, nonnegative=True)),
                      yaxis=dict(title=y_title, automargin=True, range=_padded(ys, share=share),
                                 **({"tickformat": ".2f"} if share else {})))
    return readable(fig)
