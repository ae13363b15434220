"""The preset radio shared by the task pages: choosing a preset fills every control with its values."""

from __future__ import annotations

import streamlit as st

from lib import tasks

PRESET_NAMES = {"Quick CPU demo": "quick", "Course defaults": "course"}


def _apply(task: str, prefix: str, widgets: tuple[str, ...]) -> None:
    values = tasks.get(task).presets[PRESET_NAMES[st.session_state[f"{prefix}_preset"]]]
    for name in widgets:
        st.session_state[f"{prefix}_{name}"] = values[name]


def preset_selector(task: str, prefix: str, widgets: tuple[str, ...], *, help: str) -> None:
    """Draw the radio; the first time, fill the controls (session keys ``<prefix>_<setting>``) with the quick preset."""
    key = f"{prefix}_preset"
    if key not in st.session_state:
        st.session_state[key] = "Quick CPU demo"
        _apply(task, prefix, widgets)
    st.radio("Preset", list(PRESET_NAMES), key=key, on_change=_apply, args=(task, prefix, widgets), horizontal=True, help=help)


def chosen_preset(prefix: str) -> str:
    """"quick" or "course", as chosen on this page."""
    return PRESET_NAMES[st.session_state[f"{prefix}_preset"]]
