"""The Screening page's figures (pure functions returning plotly figures): the reliability diagram before and after
temperature scaling, the decision curve with the chosen operating point, and each subgroup's ROC curve with the one
shared threshold marked on it."""

from __future__ import annotations

import plotly.graph_objects as go

from lib.figures.palette import CHANCE, OKABE_ITO, ROC, hex_colour, readable
from lib.metrics.calibration import Reliability
from lib.metrics.decision import DecisionCurve
from lib.metrics.roc import point_on_curve
from lib.metrics.subgroups import GroupFigures

_UNIT = dict(range=[0, 1], constrain="domain")
_BEFORE, _AFTER = hex_colour(OKABE_ITO["vermilion"]), hex_colour(OKABE_ITO["blue"])
_GROUPS = [hex_colour(OKABE_ITO[name]) for name in ("blue", "vermilion", "bluish green", "reddish purple", "orange",
                                                    "sky blue", "black")]
MARKER_NAME = "chosen threshold"  # the decision curve's marker trace (the browser test finds it by this name)


def reliability_figure(before: Reliability, after: Reliability | None = None) -> go.Figure:
    """Share of positives against mean score per equal-count bin (each bin's count in its hover text and beside it),
    before and, when given, after temperature scaling, with the diagonal of perfect calibration."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color=CHANCE),
                               name="perfectly calibrated"))
    for curve, name, colour, symbol in ((before, "scores as given", _BEFORE, "circle"),
                                        (after, "after temperature scaling", _AFTER, "square")):
        if curve is None:
            continue
        fig.add_trace(go.Scatter(
            x=curve.mean_score.tolist(), y=curve.observed.tolist(), mode="lines+markers+text", name=name,
            text=[str(int(c)) for c in curve.counts], textposition="top left", textfont=dict(size=11, color=colour),
            line=dict(color=colour, width=2), marker=dict(size=9, color=colour, symbol=symbol),
            customdata=curve.counts.tolist(),
            hovertemplate="mean score %{x:.2f}<br>share positive %{y:.2f}<br>%{customdata} items<extra></extra>"))
    fig.update_layout(height=420, margin=dict(l=70, r=20, t=40, b=60), title="Reliability (numbers: items per bin)",
                      xaxis=dict(title="mean score in the bin", **_UNIT),
                      yaxis=dict(title="share positive in the bin", range=[0, 1.02]),
                      legend=dict(orientation="h", y=-0.2))
    return readable(fig)


def decision_curve_figure(curve: DecisionCurve, *, marker: tuple[float, float] | None = None) -> go.Figure:
    """Net benefit against threshold probability for the model, "refer everyone" and "refer no one"; ``marker``
    = (threshold probability, net benefit) of the chosen operating point."""
    pts = curve.thresholds.tolist()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=pts, y=curve.model.tolist(), mode="lines", name="the model",
                             line=dict(color=hex_colour(ROC["curve"]), width=3)))
    fig.add_trace(go.Scatter(x=pts, y=curve.refer_all.tolist(), mode="lines", name="refer everyone",
                             line=dict(color=hex_colour(OKABE_ITO["orange"]), width=2, dash="dot")))
    fig.add_trace(go.Scatter(x=pts, y=curve.refer_none.tolist(), mode="lines", name="refer no one",
                             line=dict(color=CHANCE, width=2, dash="dash")))
    if marker is not None:
        fig.add_trace(go.Scatter(x=[float(marker[0])], y=[float(marker[1])], mode="markers", name=MARKER_NAME,
                                 marker=dict(size=14, color=hex_colour(ROC["handle"]), symbol="circle",
                                             line=dict(color="white", width=2)),
                                 hovertemplate="threshold %{x:.3f}<br>net benefit %{y:.3f}<extra></extra>"))
    top = max([float(curve.model.max()), float(curve.refer_all.max()), 0.0]) if len(pts) else 1.0
    fig.update_layout(height=420, margin=dict(l=70, r=20, t=40, b=60), title="Decision curve",
                      xaxis=dict(title="threshold probability (refer when the score is at least this)"),
                      yaxis=dict(title="net benefit (true positives per person)", range=[-0.05, top * 1.1 + 0.01]),
                      legend=dict(orientation="h", y=-0.2))
    return readable(fig)


def subgroup_roc_figure(groups: list[GroupFigures], *, threshold: float) -> go.Figure:
    """Each subgroup's ROC curve (groups with one class have none), with the point the shared ``threshold`` gives it."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dash", color=CHANCE), name="chance"))
    for i, group in enumerate(g for g in groups if g.curve is not None):
        colour = _GROUPS[i % len(_GROUPS)]
        curve = group.curve
        fig.add_trace(go.Scatter(x=curve.fpr.tolist(), y=curve.tpr.tolist(), mode="lines", line=dict(color=colour,
                                 width=3, shape="hv"), name=f"{group.name} (AUC {curve.auc:.3f}, n {group.n})"))
        point = point_on_curve(curve, threshold)
        fig.add_trace(go.Scatter(x=[1 - point.specificity], y=[point.sensitivity], mode="markers", showlegend=False,
                                 marker=dict(size=13, color=colour, symbol=["circle", "square", "diamond",
                                                                            "triangle-up"][i % 4],
                                             line=dict(color="white", width=2)),
                                 hovertemplate=f"{group.name}: sensitivity %{{y:.2f}}, 1 - specificity %{{x:.2f}}"
                                               "<extra></extra>"))
    fig.update_layout(height=440, margin=dict(l=70, r=20, t=40, b=60),
                      title=f"Each group's ROC; marks: the shared threshold {threshold:.4f}",
                      xaxis=dict(title="1 - specificity", **_UNIT), yaxis=dict(title="sensitivity", range=[0, 1.02]),
                      legend=dict(orientation="h", y=-0.2))
    return readable(fig)
