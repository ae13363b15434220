"""Page controls made from a task's settings (:class:`lib.contract.Field`): one widget per setting, keyed
``<prefix>_<setting>`` in the session, so presets fill them and the configuration reads them back.

A task page draws the generic controls where they serve (:func:`draw`) and its own sections where the lesson needs
them (DR's weights file, Lung 2D's augmentation beside its preview); :func:`values` reads every setting back.
"""

from __future__ import annotations

import streamlit as st

from lib.contract import Field, Task


def key(prefix: str, name: str) -> str:
    return f"{prefix}_{name}"


def _label(name: str, spec: Field) -> str:
    return spec.label or name.replace("_", " ").capitalize()


def _format(spec: Field):
    if spec.names:
        return lambda value: spec.names.get(value, str(value))
    if spec.kind is float:
        return lambda value: f"{value:g}"
    return str


def control(task: Task, prefix: str, name: str, container=None, *, disabled: bool = False) -> None:
    """The widget of setting ``name`` of ``task`` in ``container`` (default: the page), as its field says."""
    spec = task.fields[name]
    where = container if container is not None else st
    label, widget, k = _label(name, spec), spec.widget, key(prefix, name)
    common = dict(key=k, help=spec.help or None, disabled=disabled)
    low, high = spec.offered or (spec.low, spec.high)
    if widget == "checkbox" or spec.kind is bool:
        where.checkbox(label, **common)
    elif widget == "radio":
        where.radio(label, list(spec.choices), horizontal=True, format_func=_format(spec), **common)
    elif widget == "selectbox":
        where.selectbox(label, list(spec.choices), format_func=_format(spec), **common)
    elif widget == "select_slider":
        where.select_slider(label, list(spec.choices), format_func=_format(spec), **common)
    elif widget == "slider":
        where.slider(label, spec.kind(low), spec.kind(high), step=spec.kind(spec.step or (1 if spec.kind is int else 0.01)),
                     **common)
    elif spec.kind in (int, float):
        step = spec.step or (1 if spec.kind is int else None)
        where.number_input(label, spec.kind(low) if low is not None else None, spec.kind(high) if high is not None else None,
                           step=spec.kind(step) if step is not None else None,
                           format="%.0f" if spec.kind is float and step and float(step).is_integer() else None, **common)
    else:
        where.text_input(label, **common)


def draw(task: Task, prefix: str, names, container=None, *, disabled: bool = False) -> None:
    """The widgets of the settings ``names``, one after another."""
    for name in names:
        control(task, prefix, name, container, disabled=disabled)


def generic_names(task: Task, exclude=()) -> list[str]:
    """The settings a generic control serves (a field with a widget), in the task's order, but ``exclude``."""
    return [name for name, spec in task.fields.items() if spec.widget and name not in exclude]


def values(task: Task, prefix: str, *, skip=("data",)) -> dict:
    """Every setting of ``task`` as the page's controls (session keys) hold it, but ``skip``; a setting without a
    session key (no control drew it, no preset filled it) is left out, so the preset's value applies."""
    out = {}
    for name in task.fields:
        if name in skip:
            continue
        k = key(prefix, name)
        if k in st.session_state:
            out[name] = st.session_state[k]
    return out
