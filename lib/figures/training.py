"""Training curves: one run's history, several runs compared, and a learning-rate schedule."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from lib.figures.palette import CHANCE, readable

FONT = dict(size=16)
TRAIN_COLOUR, VAL_COLOUR = "#0072b2", "#e69f00"  # Okabe-Ito blue and orange; validation dashed as well
CHANCE_COLOUR = CHANCE


def history_figure(history: pd.DataFrame, *, metrics: Sequence[str] = ("loss", "accuracy"), title: str = "",
                   chance_loss: float | None = None) -> go.Figure:
    """Train and validation curves, one panel per metric.

    Parameters
    ----------
    history : DataFrame with an ``epoch`` column and, per metric, ``<metric>`` and optionally ``val_<metric>``
    metrics : which metrics to plot (missing ones are skipped)
    chance_loss : the loss of a constant prediction (:mod:`lib.metrics.baseline`), drawn as a dotted line on the
        loss panel so that a loss stuck there can be seen for what it is
    """
    present = [m for m in metrics if m in history.columns]
    fig = make_subplots(rows=1, cols=max(1, len(present)), subplot_titles=present or ["no epoch finished yet"])
    # a history written by hand or by another version may lack the epoch column: number the rows then
    epochs = history["epoch"] if "epoch" in history.columns else pd.Series(range(1, len(history) + 1), index=history.index)
    last = int(pd.to_numeric(epochs, errors="coerce").max()) if len(epochs) else 1
    for col, metric in enumerate(present, start=1):
        fig.add_trace(go.Scatter(x=epochs, y=pd.to_numeric(history[metric], errors="coerce"), mode="lines+markers", name="train",
                                 line=dict(color=TRAIN_COLOUR), legendgroup="train", showlegend=col == 1), row=1, col=col)
        if f"val_{metric}" in history.columns:
            fig.add_trace(go.Scatter(x=epochs, y=pd.to_numeric(history[f"val_{metric}"], errors="coerce"), mode="lines+markers", name="validation",
                                     line=dict(color=VAL_COLOUR, dash="dash"), legendgroup="val", showlegend=col == 1), row=1, col=col)
        if metric == "loss" and chance_loss is not None and np.isfinite(chance_loss):
            fig.add_hline(y=chance_loss, line=dict(color=CHANCE_COLOUR, dash="dot", width=2), row=1, col=col,
                          annotation_text=f"chance {chance_loss:.3f}", annotation_position="top right",
                          annotation_font=dict(color=CHANCE_COLOUR))
        _epoch_axis(fig, last, row=1, col=col)
        if "accuracy" in metric:
            # the whole 0-1 scale: an axis auto-zoomed to 0.47-0.51 makes noise look like big swings
            fig.update_yaxes(range=[0, 1.02], row=1, col=col)
        else:
            fig.update_yaxes(rangemode="tozero", row=1, col=col)
    if not present:
        _epoch_axis(fig, last, row=1, col=1)
        fig.update_yaxes(range=[0, 1], row=1, col=1)
    fig.update_layout(height=360, font=FONT, title=title or None, margin=dict(t=70 if title else 50, b=40),
                      legend=dict(orientation="h", y=-0.25))
    return readable(fig)


def _epoch_axis(fig: go.Figure, last: int, *, row: int, col: int) -> None:
    """Whole-number epoch ticks (never 1.5), from just before epoch 1 to just after the last one."""
    step = max(1, -(-last // 10))
    fig.update_xaxes(title_text="epoch", tickmode="linear", tick0=1, dtick=step, range=[0.5, max(1, last) + 0.5],
                     row=row, col=col)


def compare_figure(table: pd.DataFrame, metric: str, *, chance_loss: float | None = None) -> go.Figure:
    """One line per run for ``metric`` (and a dashed one for ``val_<metric>``) from :meth:`RunStore.compare`; with
    ``chance_loss``, the loss of a constant prediction as a dotted line."""
    fig = go.Figure()
    by = "run_id" if "run_id" in table else "run"  # two runs may share a label
    for _, rows in table.groupby(by, sort=False):
        label = rows["run"].iloc[0]
        if metric in rows:
            fig.add_trace(go.Scatter(x=rows["epoch"], y=rows[metric], mode="lines", name=f"{label} (train)"))
        if f"val_{metric}" in rows:
            fig.add_trace(go.Scatter(x=rows["epoch"], y=rows[f"val_{metric}"], mode="lines", line=dict(dash="dash"),
                                     name=f"{label} (validation)"))
    if chance_loss is not None and np.isfinite(chance_loss) and metric == "loss":
        fig.add_hline(y=chance_loss, line=dict(color=CHANCE_COLOUR, dash="dot", width=2), annotation_text=f"chance {chance_loss:.3f}",
                      annotation_position="top right", annotation_font=dict(color=CHANCE_COLOUR))
    fig.update_layout(height=380, font=FONT, xaxis_title="epoch", yaxis_title=metric, title=f"{metric} of the runs compared",
                      legend=dict(orientation="h", y=-0.25))
    return readable(fig)


def schedule_figure(values: Sequence[float]) -> go.Figure:
    """The learning rate per epoch (log scale), drawn before training starts."""
    fig = go.Figure(go.Scatter(x=list(range(1, len(values) + 1)), y=list(values), mode="lines+markers"))
    fig.update_layout(height=280, font=FONT, xaxis_title="epoch", yaxis_title="learning rate", yaxis_type="log",
                      margin=dict(t=30, b=40), title="Learning-rate schedule")
    return readable(fig)
