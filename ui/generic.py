"""The page of a task that has none of its own: its data, its settings as generic controls, training, results.

A new task is usable in the app as soon as the registry lists it: this page draws every setting whose field has a
widget (:mod:`ui.controls`), the training panel, the run picker with the diagnosis and the test metrics, and the
task's experiments. A task that needs more (the DR operating point, the lung overlays) gets ``pages/<name>.py``.
"""

from __future__ import annotations

import streamlit as st

from lib.contract import Task
from lib.metrics import metric_name
from lib.training.config import ConfigError, make_config
from ui import controls, presets
from ui.data import data_banner, dataset_report, ensure_demo_data, require
from ui.experiment import experiment_section
from ui.training import run_picker, training_panel


def _settings(task: Task, data_path: str) -> dict | None:
    st.header("Settings and training")
    names = controls.generic_names(task, exclude=("steps_per_epoch", "time_budget_s", "precision", "jit_compile"))
    left, right = st.columns(2)
    half = (len(names) + 1) // 2
    controls.draw(task, task.name, names[:half], left)
    controls.draw(task, task.name, names[half:], right)
    presets.length_controls(task.name, task.name, right, steps="steps_per_epoch" in task.fields)
    presets.speed_controls(task.name, task.name)
    try:
        return make_config(task, preset=presets.chosen_preset(task.name, task.name), data=data_path,
                           **controls.values(task, task.name))
    except ConfigError as exc:
        st.error(str(exc))
        return None


def _results(task: Task, run) -> None:
    shown = {metric_name(k): v for k, v in run.metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if shown:
        columns = st.columns(min(4, len(shown)))
        for i, (name, value) in enumerate(shown.items()):
            columns[i % len(columns)].metric(f"Test {name}", f"{value:.3f}" if isinstance(value, float) else str(value))


def task_page(task: Task) -> None:
    """The whole page of ``task``."""
    st.set_page_config(page_title=f"{task.title} · Deep learning in medical imaging")  # each page its own title
    st.title(task.title)
    if task.summary:
        st.caption(task.summary[0].upper() + task.summary[1:] + ".")
    ensure_demo_data([task.name])
    report = dataset_report(task.name)
    data_banner(report, task.name)
    require(report)
    presets.preset_selector(task.name, task.name, help="The task's presets: every setting at once.")
    config = _settings(task, str(report.path))
    training_panel(task.name, config, metrics=task.metrics_shown)
    for experiment in task.experiments:
        experiment_section(task, experiment, task.name, config)
    st.header("Results")
    run = run_picker(task.name, metrics=task.metrics_shown)
    if run is not None:
        _results(task, run)
