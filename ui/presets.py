"""The preset radio shared by the task pages: choosing a preset fills every control with its values."""

from __future__ import annotations

import streamlit as st

from lib import tasks

PRESET_NAMES = {"Quick CPU demo": "quick", "Course defaults": "course", "Course, batch 64 for a GPU": "course_gpu"}


def _offered(task: str) -> list[str]:
    """The preset titles of ``task``, in PRESET_NAMES' order."""
    return [title for title, name in PRESET_NAMES.items() if name in tasks.get(task).presets]


def _apply(task: str, prefix: str, widgets: tuple[str, ...]) -> None:
    values = tasks.get(task).presets[PRESET_NAMES[st.session_state[f"{prefix}_preset"]]]
    for name in widgets:
        st.session_state[f"{prefix}_{name}"] = values[name]


def preset_selector(task: str, prefix: str, widgets: tuple[str, ...], *, help: str) -> None:
    """Draw the radio; the first time, fill the controls (session keys ``<prefix>_<setting>``) with the settings of
    the user's running run of this task (after a reload), else with the quick preset."""
    from ui.training import active_config

    key = f"{prefix}_preset"
    st.session_state[f"_prefix_of_{task}"] = prefix  # for set_control
    if key not in st.session_state:
        running = active_config(task)
        names = {value: name for name, value in PRESET_NAMES.items()}
        st.session_state[key] = names.get((running or {}).get("preset"), "Quick CPU demo")
        _apply(task, prefix, widgets)
        for name in widgets:
            if running is not None and name in running:
                st.session_state[f"{prefix}_{name}"] = running[name]
    st.radio("Preset", _offered(task), key=key, on_change=_apply, args=(task, prefix, widgets), horizontal=True, help=help)


def set_control(task: str, name: str, value) -> None:
    """Set the page's control for setting ``name`` of ``task`` (a button's callback: before the widgets are drawn)."""
    prefix = st.session_state.get(f"_prefix_of_{task}")
    if prefix is not None:
        st.session_state[f"{prefix}_{name}"] = value
        st.session_state[f"_{task}_control_set"] = (name, value)


def chosen_preset(prefix: str) -> str:
    """The preset's name ("quick", "course", ...), as chosen on this page."""
    return PRESET_NAMES[st.session_state[f"{prefix}_preset"]]


def length_controls(prefix: str, container, *, steps: bool = True) -> None:
    """The controls for how long a run trains: batches per epoch (0: one pass over the training set) and the
    time budget (0: none), in ``container`` (a column). Session keys ``<prefix>_steps_per_epoch`` and
    ``<prefix>_time_budget_s``; the preset fills them."""
    if steps:
        container.number_input("Batches per epoch (0: one pass over the training set)", 0, 100000,
                                key=f"{prefix}_steps_per_epoch",
                                help="A fixed number of batches per epoch gives a small dataset as many optimisation "
                                     "steps as a large one; 0 is the course's one pass over the training set.")
    container.number_input("Time budget in seconds (0: none)", 0.0, 86400.0, step=10.0, format="%.0f", key=f"{prefix}_time_budget_s",
                           help="The run measures its speed on this machine during the first epochs and trains only "
                                "the epochs that fit, so the whole run ends within this time. 0 trains every epoch.")


def speed_controls(prefix: str) -> None:
    """The settings that matter on a GPU server (precision, XLA), folded away: session keys ``<prefix>_precision``
    and ``<prefix>_jit_compile``; the preset fills them."""
    fields = tasks.base.COMMON_FIELDS
    with st.expander("On a GPU: precision and XLA"):
        left, right = st.columns(2)
        left.selectbox("Precision", fields["precision"].choices, key=f"{prefix}_precision", help=fields["precision"].help)
        right.selectbox("XLA compilation (jit_compile)", fields["jit_compile"].choices, key=f"{prefix}_jit_compile",
                        help=fields["jit_compile"].help)
