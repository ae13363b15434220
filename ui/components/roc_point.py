"""The draggable ROC operating point as a Streamlit component."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_HERE = Path(__file__).parent
_COMPONENT = st.components.v2.component(
    "dlmi_roc_operating_point",
    html="",
    css=(_HERE / "roc_point.css").read_text(),
    js=(_HERE / "roc_point.js").read_text(),
)


def roc_operating_point(payload: dict, *, key: str) -> float | None:
    """Mount the component with ``payload`` (see ``lib.metrics.roc.curve_payload``).

    Returns the threshold the user last released the handle at, or None before any drag.
    """
    result = _COMPONENT(data=payload, key=key, default={"threshold": None}, on_threshold_change=lambda: None,
                        height="content")
    value = getattr(result, "threshold", None)
    return float(value) if value is not None else None
