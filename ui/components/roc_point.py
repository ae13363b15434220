"""The draggable ROC operating point as a Streamlit component."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from lib.figures.palette import css_variables

_HERE = Path(__file__).parent
_COMPONENT = st.components.v2.component(
    "dlmi_roc_operating_point",
    html="",
    css=css_variables() + "\n" + (_HERE / "roc_point.css").read_text(),  # the colours: lib/figures/palette.py
    js=(_HERE / "roc_point.js").read_text(),
)


def _parse(value) -> tuple[float, float] | None:
    """The browser sends [threshold, release counter] (the counter makes every release a change, also a second
    release at the same vertex); a bare number (as a test may set) counts as release 0."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return (float(value[0]), float(value[1]) if len(value) > 1 else 0.0)
    return (float(value), 0.0)


def released(key: str) -> tuple[float, float] | None:
    """The (threshold, release counter) the component last sent, read *before* it is mounted in this run, so the
    page can apply it first and mount the component with the threshold everything else shows."""
    state = st.session_state.get(key)
    value = state.get("threshold") if isinstance(state, Mapping) else getattr(state, "threshold", None)
    return _parse(value)


def roc_operating_point(payload: dict, *, key: str) -> tuple[float, float] | None:
    """Mount the component with ``payload`` (see ``lib.metrics.roc.curve_payload``), plus ``applied``: the release
    counter of the browser's last move, which the page has applied before mounting (see :func:`released`).

    Returns the (threshold, release counter) of the user's last release, or None before any.
    """
    applied = released(key)  # what this run applied: the browser keeps its own later moves until a run applies them
    payload = {**payload, "applied": int(applied[1]) if applied is not None else 0}
    result = _COMPONENT(data=payload, key=key, default={"threshold": None}, on_threshold_change=lambda: None,
                        height="content")
    return _parse(getattr(result, "threshold", None))
