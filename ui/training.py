"""The training panel (start, stop, queue, live curves) and the run picker (open, compare, delete)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from lib import tasks
from lib.access.policy import LimitError
from lib.diagnosis import diagnose_run
from lib.figures.training import compare_figure, history_figure
from lib.notice import curves
from lib.jobs.folder import files
from lib.jobs.folder.describe import config_label, describe_failure, progress_line, run_line, trained_with
from lib.jobs.folder.protocol import (
    ACTIVE_STATES, FINAL_STATES, change_stamp, followed_run, partition_runs, stop_now, stop_requested, touch_heartbeat,
)
from lib.jobs.folder.store import Run, RunStore, load_predictions, visible_to
from lib.text import plain
from lib.training.config import ConfigError
from lib.jobs.executor import start_run
from ui.estimate import start_caption
from ui.notice import notice
from ui.presets import set_control
from ui.run_exports import run_exports
from ui.runs import executor, run_store, snapshot, whose
from ui.admission import admit
from ui.session import owner_token
from ui.charts import chart

POLL_S = 3.0  # how often a watching page looks at the run's files (four stat calls)
FULL_CHECK_S = 10.0  # a full read at least this often, so a worker that died silently is noticed
HEARTBEAT_S = 20.0  # how often a watching page tells the job it is still watched
_VIEW, _BUILDS = "_live_view", "_live_builds"


def _selected_key(task: str) -> str:
    return f"{task}_selected_run"


def linked_value(task: str, name: str) -> str | None:
    """The query parameter ``name`` of a shared link (``?run=...&threshold=...``), once: None when absent, or when
    it is the value this session has applied or written already (a later change in the page is not undone)."""
    value = st.query_params.get(name)
    applied = st.session_state.setdefault("_link_applied", {})
    if value is None or applied.get((task, name)) == value:
        return None
    applied[(task, name)] = value
    return value


def share_in_link(task: str, name: str, value: str) -> None:
    """Keep the page's address naming what it shows, so that a copied link opens the same view."""
    if st.query_params.get(name) != value:
        st.query_params[name] = value
    st.session_state.setdefault("_link_applied", {})[(task, name)] = value


def _linked_run(task: str, ids: list[str]) -> str | None:
    """The run a shared link names, if this viewer may see it; else a warning, and the page's usual choice."""
    wanted = linked_value(task, "run")
    if wanted is None or wanted in ids:
        return wanted
    if f"-{task}-" not in wanted:  # another task's run (an address kept across a page switch): not this page's link
        return None
    st.warning(f"The link names run '{plain(wanted, limit=60)}', which is not one you can see here (it may be another student's, "
               "unpublished, or deleted): showing another run instead.")
    return None


def _share(run_id: str, key: str) -> None:
    try:
        run_store().share(run_id, bool(st.session_state.get(key)), owner=owner_token())
    except (ValueError, PermissionError, OSError) as exc:
        st.session_state[key] = not st.session_state.get(key)
        st.toast(f"Could not change the sharing: {exc}")


def follow_run(task: str, run_id: str) -> None:
    """Show ``run_id`` in the task's Results at the next run of the page (a poll's "open the poll's run")."""
    st.session_state[_follow_key(task)] = run_id


def _follow_key(task: str) -> str:
    """Session key of a run that just finished in this session's live panel: Results switches to it."""
    return f"_{task}_follow"


def training_panel(task: str, config: dict | None, *, metrics=None) -> None:
    """Start a run of ``config``, or follow the user's running one with live curves (``metrics``: default the task's
    ``metrics_shown``) and a stop button."""
    metrics = metrics or tasks.get(task).metrics_shown
    owner = owner_token()
    # a Start click is used by this run of the page or dropped: one kept while a run is active (a second tab's stale
    # button) would start a run by itself when that run ends
    start_requested = st.session_state.pop(_start_key(task), False)
    everyone = list(snapshot().runs)  # the user's active run, the queue and the estimate
    runs = [r for r in everyone if r.task == task]
    active = followed_run([r for r in runs if visible_to(r, owner)], owner)
    watching = f"_{task}_watching"
    if active is None and watching in st.session_state:  # the run this page followed has ended since
        st.session_state[_follow_key(task)] = st.session_state.pop(watching)
    if active is not None:
        if start_requested:
            st.warning("Your run below is still training or waiting, so no second one was started: stop it first, or "
                       "wait for it to end.", icon=":material/block:")
        st.session_state[watching] = active.run_id
        st.info("Your run below trains with the settings it was started with (listed under it). Changing the "
                "controls above prepares your **next** run.", icon=":material/info:")
        _live(active.run_id, owner, tuple(metrics), task)
        _settings_of(active)
        return
    if config is None:
        st.button("Start training", type="primary", disabled=True, key=f"{task}_start")
        return
    st.caption(start_caption(config, tasks.get(task), everyone))
    # the click is kept by a callback: a plain button's True can be lost to a rerun before the line that reads it
    st.button("Start training", type="primary", key=f"{task}_start", on_click=_request_start, args=(task,))
    if start_requested:
        try:
            spec = tasks.get(task)
            run_dir = start_run(run_store(), {**config, "watch": True}, spec, owner=owner, executor=executor(),
                                label=config_label(config, spec), admit=admit)
        except (ConfigError, LimitError, OSError) as exc:
            st.error(f"Could not start the training: {exc}")
            return
        st.session_state[_selected_key(task)] = run_dir.name
        st.rerun()


def _start_key(task: str) -> str:
    return f"_{task}_start_requested"


def _request_start(task: str) -> None:
    st.session_state[_start_key(task)] = True


@dataclass
class _WatchView:
    """What the live panel shows, rebuilt only when the run's files change (or every FULL_CHECK_S, to notice
    a worker that died without a word); between changes the panel redraws it from here for almost nothing."""

    run_id: str
    stamp: tuple
    built: float
    final: bool = False
    error: str | None = None
    fraction: float = 0.0
    text: str = ""
    notes: tuple = ()
    stopping: bool = False
    caption: str = ""
    history_stamp: object = None
    figure: object = None
    watched: tuple = ()
    heartbeat_at: float = 0.0


def _watch_view(store: RunStore, run_id: str, owner: str, metrics: tuple, previous: _WatchView | None,
                stamp: tuple) -> _WatchView:
    view = _WatchView(run_id=run_id, stamp=stamp, built=time.time())
    try:
        run = store.load(run_id, viewer=owner)
    except ValueError as exc:
        view.error = f"Lost track of the run: {exc}"
        return view
    view.final = run.summary.state in FINAL_STATES
    view.stopping = stop_requested(run.path)
    view.fraction, view.text = progress_line({**run.status, "stop_requested": view.stopping}, run.progress)
    view.notes = tuple(run.status.get("notes", []))
    started = time.strftime('%H:%M:%S', time.localtime(run.status.get('started', run.summary.created)))
    view.caption = f"Run {plain(run.summary.label)} · started {started}"
    view.history_stamp = stamp[2]
    if previous is not None and previous.run_id == run_id and previous.history_stamp == stamp[2]:
        view.figure = previous.figure  # no new epoch: the curves are the same
    else:
        view.figure = history_figure(run.history, metrics=metrics)
    if previous is not None and previous.run_id == run_id:
        view.watched, view.heartbeat_at = previous.watched, previous.heartbeat_at
    return view


def _heartbeat(view: _WatchView, store: RunStore, task: str, owner: str) -> None:
    """A browser is watching: neither this job nor the user's queued ones may give up
    (lib.training.context.abandoned). Touched every HEARTBEAT_S, not every poll."""
    now = time.time()
    if now - view.heartbeat_at < HEARTBEAT_S:
        return
    runs, _ = snapshot().select(task=task, viewer=owner)
    view.watched = tuple(r.path for r in runs if r.owner == owner and r.state in ACTIVE_STATES)
    touch_heartbeat(view.watched)
    view.heartbeat_at = now


@st.fragment(run_every=POLL_S)
def _live(run_id: str, owner: str, metrics: tuple, task: str) -> None:
    store = run_store()
    stamp = change_stamp(store.path(run_id))
    view = st.session_state.get(_VIEW)
    if view is None or view.run_id != run_id or view.stamp != stamp or time.time() - view.built > FULL_CHECK_S:
        view = _watch_view(store, run_id, owner, metrics, view, stamp)
        st.session_state[_VIEW] = view
        st.session_state[_BUILDS] = st.session_state.get(_BUILDS, 0) + 1
    if view.error:
        st.error(view.error)
        return
    if view.final:
        st.session_state.pop(_VIEW, None)
        st.session_state[_follow_key(task)] = run_id  # Results shows the run that just ended
        st.rerun()  # the whole page, which now shows the finished run (or follows the next queued one)
    _heartbeat(view, store, task, owner)
    st.progress(min(1.0, view.fraction), text=view.text)
    for note in view.notes:
        st.warning(note)
    left, right = st.columns([1, 5])
    if left.button("Stop", key=f"stop_{run_id}", disabled=view.stopping, help="Stops after the current batch; keeps what was learned"):
        stop_now(store.path(run_id))
    right.caption(view.caption)
    chart(view.figure, key=f"live_{run_id}", config={"displayModeBar": False},  # no toolbar over the titles
          name="Live training curves", summary="The loss and the metrics of each epoch so far, training and validation.")


def _settings_of(run) -> None:
    """The running run's settings, read-only."""
    spec = tasks.get(run.task)
    shown = {name: run.config[name] for name in spec.fields if name in run.config and name != "data"}
    with st.expander(f"Settings of the running run (read-only; preset {run.config.get('preset', '?')})"):
        st.dataframe({"setting": list(shown), "value": [str(v) for v in shown.values()]}, hide_index=True,
                     width="stretch")


@st.cache_data(show_spinner="Loading the test predictions ...", max_entries=6)
def _predictions(path: str, mtime: float) -> dict:
    return load_predictions(Path(path))


def cached_predictions(run: Run) -> dict:
    """The run's saved test predictions, read once per server (runs do not change after they end)."""
    target = run.path / files.PREDICTIONS
    if not target.is_file():
        return run.predictions()  # raises the ValueError that says the run has none
    return _predictions(str(target), target.stat().st_mtime)


@st.cache_resource(max_entries=500, show_spinner=False)
def _diagnosis(path: str, ended: float, _store: RunStore, _run: Run | None) -> tuple:
    """What lib.diagnosis finds in a finished run: computed once per run and server (a finished run never changes;
    ``ended``, its finish stamp, keys it, with its folder)."""
    try:
        run = _run if _run is not None else _store.load(Path(path).name)
    except ValueError:
        return ()
    return tuple(diagnose_run(run, tasks.get(run.summary.task)))


def _findings(store: RunStore, summary, run: Run | None = None) -> tuple:
    """The diagnosis of a run without results or with them, once per run (:func:`_diagnosis`); a run still active is
    not diagnosed."""
    ended = summary.status.get("ended")
    if summary.state in ACTIVE_STATES or not isinstance(ended, (int, float)):
        return ()
    return _diagnosis(str(summary.path), float(ended), store, run)


def diagnosis_panel(run: Run) -> None:
    """What ``lib.diagnosis`` finds in the run, beside its results: problems as warnings, the rest as notes; a finding
    that names a setting to compare (the learning rate) opens the student's runs with other values of it."""
    for finding in _findings(run_store(), run.summary, run):
        if finding.severity == "problem":
            st.warning(f"**{finding.title}.** {finding.text}", icon=":material/report:")
        else:
            st.info(f"**{finding.title}.** {finding.text}", icon=":material/lightbulb:")
        if finding.compare:
            _compare_by(run, finding)


def settings_tried(task: str, name: str) -> list:
    """The values of setting ``name`` among this user's finished runs of ``task`` with results (theirs, the shared
    and the published ones they see)."""
    runs, _ = snapshot().select(task=task, viewer=owner_token())
    return [r.config.get(name) for r in partition_runs(runs)[0] if name in r.config]


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _chance(run: Run) -> float | None:
    value = run.status.get("chance_loss")
    return float(value) if isinstance(value, (int, float)) else None


_DOTTED = "; the dotted line is the loss of answering the same for everything."


def _drawn(chance: float | None) -> bool:
    """Whether the curves draw a chance line (lib.figures.training draws one for a finite chance loss)."""
    return chance is not None and math.isfinite(chance)


def _compare_by(run: Run, finding) -> None:
    """The student's finished runs of this task with another value of ``finding.compare``, their loss curves laid
    over this run's; without any, the setting the finding suggests, one click from the next run's controls."""
    setting = finding.compare
    words = setting.replace("_", " ")
    store, owner = run_store(), owner_token()
    runs, _ = snapshot().select(task=run.summary.task, viewer=owner)
    here = run.config.get(setting)
    others = [r for r in partition_runs(runs)[0] if r.run_id != run.summary.run_id and r.config.get(setting) != here]
    with st.expander(f"Compare: your runs of this task at another {words}", icon=":material/compare_arrows:"):
        if others:
            picked = [run.summary, *others[:5]]
            table = store.compare([r.run_id for r in picked], viewer=owner)
            names = {r.run_id: f"{words} {_shown(r.config.get(setting))}" + (" (this run)" if r is run.summary else
                                                                         f" · #{r.run_id[-6:]}") for r in picked}
            table["run"] = table["run_id"].map(names)
            chance = _chance(run)
            # one caption (the chart's summary): the dotted line is named only where it is drawn
            chart(compare_figure(table, "loss", chance_loss=chance), key=f"{run.summary.run_id}_compare_{setting}",
                  name=f"Loss of runs at another {words}",
                  summary=f"The training (solid) and validation (dashed) loss of each epoch, this run ({words} "
                          f"{_shown(here)}) against your {len(picked) - 1} latest run(s) at another {words}"
                          + (_DOTTED if _drawn(chance) else "."))
        else:
            st.caption(f"You have no finished run of this task at another {words} yet.")
        for name, value in finding.suggest.items():
            st.button(f"Use a {name.replace('_', ' ')} of {value:g} for my next run",
                      key=f"{run.summary.run_id}_suggest_{name}", on_click=set_control, args=(run.summary.task, name, value),
                      help="Sets the control in the training settings above; press Start there to train.")
            if st.session_state.get(f"_{run.summary.task}_control_set") == (name, value):
                st.success(f"The {name.replace('_', ' ')} for your next run is now {value:g}: press Start training above.")


def run_picker(task: str, *, metrics=None) -> Run | None:
    """Choose a finished run (yours or a shared one), compare several, delete yours; returns the chosen run."""
    metrics = metrics or tasks.get(task).metrics_shown
    owner = owner_token()
    # a Start click is used by this run of the page or dropped: one kept while a run is active (a second tab's stale
    # button) would start a run by itself when that run ends
    start_requested = st.session_state.pop(_start_key(task), False)
    store = run_store()
    runs, problems = snapshot().select(task=task, viewer=owner)
    # a run stopped before it learned anything has no test results to show: it is listed with the failed ones
    finished, failed = partition_runs(runs)
    if problems:  # only this user's own broken folders (the store filters by viewer)
        with st.expander(f"{len(problems)} of your run folder(s) could not be read and are skipped"):
            for problem in problems:
                left, right = st.columns([5, 1])
                left.text(f"{problem.name}: {problem.reason}")
                if right.button("Delete", key=f"{task}_delete_broken_{problem.name}"):
                    try:
                        store.delete(problem.name, owner=owner)
                    except (ValueError, PermissionError, OSError) as exc:
                        st.error(f"Could not delete {problem.name}: {exc}")
                    else:
                        st.rerun()
    if failed:
        with st.expander(f"{len(failed)} run(s) without results"):
            for r in failed:
                st.markdown(f"**{plain(r.label)}**: {plain(describe_failure(r))}")
                for finding in _findings(store, r):
                    st.caption(f"{finding.title}: {finding.text}")
    if not finished:
        st.info("No finished run yet: start one above. (A lecturer can prepare runs with `python -m lib train`.)")
        return None
    ids = [r.run_id for r in finished]
    choice = f"{task}_run_choice"
    follow = st.session_state.pop(_follow_key(task), None)
    wanted = st.session_state.get(_selected_key(task))
    linked = _linked_run(task, ids)
    # set before the selectbox exists in this run, and never also through index= (Streamlit warns about both)
    if follow in ids:
        st.session_state[choice] = follow
    elif linked is not None:
        st.session_state[choice] = linked
    elif st.session_state.get(choice) not in ids:
        st.session_state[choice] = wanted if wanted in ids else ids[0]
    # every option's text must be unique: the browser tells options apart by their text, so two runs with the same
    # settings and minute would make the choice jump between them
    shown = {r.run_id: f"{whose(r, owner)} · {run_line(r, tasks.get(task))} · #{r.run_id[-6:]}" for r in finished}
    chosen = st.selectbox("Run", ids, format_func=shown.get, key=choice)
    st.session_state[_selected_key(task)] = chosen
    share_in_link(task, "run", chosen)
    try:
        run = store.load(chosen, viewer=owner)
    except ValueError as exc:
        st.error(str(exc))
        return None
    if run.summary.owner != owner:
        st.caption(f"This run is {plain(whose(run.summary, owner))}: you can look at everything, and change nothing.")
    else:
        st.checkbox("Share this run with the class's experiment", value=run.summary.shared,
                    key=f"{task}_share_{chosen}", on_change=_share, args=(chosen, f"{task}_share_{chosen}"),
                    help="The lecturer plots every shared run of the class as one experiment (a setting against the "
                         "test result); on the projector without your name.")
    if run.summary.state == "stopped":
        st.caption(f"This run was stopped early ({run.status.get('stop_reason')}); its results are from what it had learned by then.")
    st.caption(f"Trained with {trained_with(run.config, run.status, run.history)}.")
    diagnosis_panel(run)
    notice(curves(run.history, items=tasks.get(task).items))
    with st.expander("Curves of this run, and comparing runs"):
        chance = _chance(run)
        chart(history_figure(run.history, metrics=metrics, chance_loss=chance), key=f"{task}_history",
              name="Training curves of this run",
              summary=f"The {', '.join(metrics)} of each of the {len(run.history)} epochs, training and validation"
                      + (_DOTTED if _drawn(chance) and "loss" in metrics else "."))
        others = st.multiselect("Compare with", [i for i in ids if i != chosen], key=f"{task}_compare", format_func=shown.get)
        if others:
            table = store.compare([chosen, *others], viewer=owner)
            metric = st.radio("Metric", metrics, horizontal=True, key=f"{task}_cmp_metric")
            chart(compare_figure(table, metric), key=f"{task}_compare_chart", name=f"{metric} of the runs compared",
                  summary=f"The {metric} of each epoch for this run and the {len(others)} run(s) compared with it.")
        if run.summary.owner == owner and st.button("Delete this run", key=f"{task}_delete"):
            store.delete(chosen, owner=owner)
            st.session_state.pop(_selected_key(task), None)
            st.rerun()
    with st.expander("Take this run with you: its test scores, its model, the command that trains it again"):
        run_exports(run, key=task)
    return run
