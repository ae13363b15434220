"""A task's experiments on its page (:class:`lib.contract.Experiment`): choose the values, queue one run per value,
and read the class's results as one figure. Nothing here knows which task it is drawn for."""

from __future__ import annotations

import time

import streamlit as st

from lib.access.policy import LimitError
from lib.contract import Experiment, Task
from lib.figures.segmentation import sweep_figure
from lib.jobs.folder.protocol import ACTIVE_STATES
from lib.training.config import ConfigError
from lib.jobs.executor import start_sweep
from ui.estimate import experiment_caption
from ui.notice import think
from ui.runs import executor, run_store, snapshot
from ui.admission import admit
from ui.session import owner_token
from ui.charts import chart


def _request(prefix: str) -> None:
    st.session_state[f"_{prefix}_sweep_requested"] = True


def experiment_section(task: Task, experiment: Experiment, prefix: str, config: dict | None, *, number: str = "") -> None:
    """The experiment's section: the values to train, one click that queues a run per value (refused together when
    the class's limits do not allow them), and the figure of the finished runs against the value."""
    st.header(f"{number}The experiment: {experiment.title}")
    if experiment.question:
        think(experiment.question)
    chosen = st.multiselect(experiment.values_label, list(experiment.values), default=list(experiment.default),
                            key=f"{prefix}_{experiment.name}_values")
    owner = owner_token()
    if config is not None and chosen:
        everyone = list(snapshot().runs)
        st.caption(experiment_caption([{**config, experiment.setting: v} for v in chosen], task, everyone))
    # the click is kept by a callback, as Start's is (a plain button's True can be lost to a rerun)
    st.button(experiment.button, disabled=config is None or not chosen, key=f"{prefix}_sweep", on_click=_request,
              args=(prefix,))
    if st.session_state.pop(f"_{prefix}_sweep_requested", False) and config is not None and chosen:
        name = time.strftime("experiment %H:%M:%S")
        try:
            start_sweep(run_store(), {**config, "watch": True}, task, setting=experiment.setting, values=chosen,
                        owner=owner, executor=executor(), name=name, admit=admit)
        except (LimitError, ConfigError, OSError) as exc:
            st.error(f"Could not queue the experiment: {exc}")
            return
        st.session_state[f"{prefix}_flash"] = (f"{len(chosen)} runs queued as '{name}'; they train one after another "
                                                "(or side by side on a GPU server). The panel above follows them.")
        st.rerun()  # so the training panel follows the queued runs at once
    if f"{prefix}_flash" in st.session_state:
        st.success(st.session_state.pop(f"{prefix}_flash"))
    runs, _ = snapshot().select(task=task.name, viewer=owner)
    rows, waiting = [], []
    for summary in runs:
        tag = summary.config.get("experiment")
        if not tag or experiment.setting not in summary.config:
            continue
        value = task.metric(summary.metrics, experiment.metric)
        if summary.state in ("done", "stopped") and isinstance(value, (int, float)):
            rows.append({"experiment": tag, "value": summary.config[experiment.setting], "metric": value})
        elif summary.state in ACTIVE_STATES:
            waiting.append(f"{summary.label}: {summary.state}")
    if waiting:
        st.caption("In progress: " + "; ".join(waiting))
    if rows:
        chart(sweep_figure(rows, experiment), key=f"{prefix}_{experiment.name}_figure",
              name=f"The experiment: {experiment.metric} against {experiment.setting}",
              summary=f"{len(rows)} finished run(s), each a point: the test {experiment.metric} against the "
                      f"{experiment.setting} it was trained with.")
    else:
        st.caption("No finished experiment run yet.")
