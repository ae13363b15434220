"""The preset radio shared by the task pages: choosing a preset fills every control with its values."""

from __future__ import annotations

import streamlit as st

from lib import tasks
from ui.controls import control, draw, key
from ui.runs import active_run
from ui.session import owner_token

# The presets' names for people, in the order offered; a task's own preset not listed here is offered by its name.
PRESET_NAMES = {"Quick CPU demo": "quick", "Course defaults": "course", "Course, batch 64 for a GPU": "course_gpu"}


def _titles(task: str) -> dict[str, str]:
    """{title: preset name} of ``task``'s presets, in PRESET_NAMES' order, then its own."""
    names = list(tasks.get(task).presets)
    titles = {title: name for title, name in PRESET_NAMES.items() if name in names}
    titles.update({name: name for name in names if name not in titles.values()})
    return titles


def _apply(task: str, prefix: str) -> None:
    values = tasks.get(task).presets[_titles(task)[st.session_state[f"{prefix}_preset"]]]
    for name, value in values.items():
        st.session_state[key(prefix, name)] = value


def preset_selector(task: str, prefix: str, *, help: str) -> None:
    """Draw the radio; the first time, fill the controls (session keys ``<prefix>_<setting>``) with the settings of
    the user's running run of this task (after a reload), else with the quick preset."""
    state_key = f"{prefix}_preset"
    st.session_state[f"_prefix_of_{task}"] = prefix  # for set_control
    titles = _titles(task)
    if state_key not in st.session_state:
        running = active_run(task, owner_token())
        running = dict(running.config) if running is not None else {}
        by_name = {name: title for title, name in titles.items()}
        st.session_state[state_key] = by_name.get(running.get("preset"), next(iter(titles)))
        _apply(task, prefix)
        for name in tasks.get(task).fields:
            if name in running and name != "data":
                st.session_state[key(prefix, name)] = running[name]
    st.radio("Preset", list(titles), key=state_key, on_change=_apply, args=(task, prefix), horizontal=True, help=help)


def set_control(task: str, name: str, value) -> None:
    """Set the page's control for setting ``name`` of ``task`` (a button's callback: before the widgets are drawn)."""
    prefix = st.session_state.get(f"_prefix_of_{task}")
    if prefix is not None:
        st.session_state[key(prefix, name)] = value
        st.session_state[f"_{task}_control_set"] = (name, value)


def chosen_preset(prefix: str, task: str) -> str:
    """The preset's name ("quick", "course", ...), as chosen on this page."""
    return _titles(task)[st.session_state[f"{prefix}_preset"]]


def length_controls(task: str, prefix: str, container, *, steps: bool = True) -> None:
    """The controls for how long a run trains: batches per epoch (0: one pass over the training set) and the
    time budget (0: none), in ``container`` (a column); the preset fills them."""
    draw(tasks.get(task), prefix, (["steps_per_epoch"] if steps else []) + ["time_budget_s"], container)


def speed_controls(task: str, prefix: str) -> None:
    """The settings that matter on a GPU server (precision, XLA), folded away; the preset fills them."""
    spec = tasks.get(task)
    with st.expander("On a GPU: precision and XLA"):
        left, right = st.columns(2)
        control(spec, prefix, "precision", left)
        control(spec, prefix, "jit_compile", right)
