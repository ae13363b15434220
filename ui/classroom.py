"""The lecturer's Class page: the queue of every student's runs, stopping any run, publishing runs, the limits."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

import streamlit as st

from lib import tasks
from lib.access.guard import ACCOUNT
from lib.access.identity import owner_shown
from lib.access.policy import ClassFileError, bounds, update_class
from lib.access.roster import (MAX_ROSTER_BYTES, import_roster, passwords_csv, prepare_passwords, read_roster,
                               remove_user, reset_password)
from lib.classroom import sweep as class_sweep
from lib.diagnosis import diagnose_run
from lib.figures.charts import class_runs_figure
from lib.figures.training import history_figure
from lib.jobs.folder.describe import metric_text, run_line
from lib.jobs.folder.protocol import ACTIVE_STATES, stop_now, stop_requested
from lib.jobs.folder.store import SHARED_OWNER
from lib.notice import QUESTIONS, question
from lib.text import duration, number, plain
from ui.charts import chart
from ui.runs import executor, run_store, snapshot
from ui.notice import answer_book
from ui.session import class_settings, guard, identity, sessions
from ui.shell import is_presenting


@st.fragment(run_every=5.0)
def queue_section() -> None:
    """Every active run, training first, then the waiting ones in the order they will get a slot."""
    st.header("Queue")
    store = run_store()
    runs, problems = snapshot().select(lecturer=True)
    active = {r.run_id: r for r in runs if r.state in ACTIVE_STATES}
    training = [r for r in active.values() if r.state == "running"]
    # each waiting run's place as its executor wrote it (the local queue or Ray: the same users-in-turn order)
    order = {r.run_id: r.status.get("queue_position") for r in active.values() if r.state == "queued"}
    waiting = sorted((r for r in active.values() if r.state == "queued"),
                     key=lambda r: (order[r.run_id] is None, order[r.run_id] or 0, r.created))
    st.caption(f"{len(training)} training, {len(waiting)} waiting. {executor().describe()}")
    if not active:
        st.info("No run is training or waiting.")
    now = time.time()
    for r in training + waiting:
        left, middle, right = st.columns([3, 4, 1])
        position = order.get(r.run_id)
        where = "training" if r.state == "running" else (f"waiting, #{position + 1}" if position is not None else "starting")
        left.markdown(f"**{plain(owner_shown(r.owner, shared_owner=SHARED_OWNER))}** · {tasks.get(r.task).title} · {where}")
        middle.caption(f"{plain(r.label)} · submitted {duration(now - float(r.status.get('submitted', now)))} ago")
        stopping = stop_requested(r.path)
        right.button("Stopping" if stopping else "Stop", key=f"class_stop_{r.run_id}", disabled=stopping,
                     on_click=stop_now, args=(r.path,), help="Stops after the current batch; keeps what was learned")
    if problems:
        with st.expander(f"{len(problems)} run folder(s) cannot be read"):
            for problem in problems:
                st.text(f"{problem.name} ({owner_shown(problem.owner or '', shared_owner=SHARED_OWNER)}): {problem.reason}")


def publish_section() -> None:
    """Finished runs of anyone; a published run is visible to every student, read-only."""
    st.header("Published runs")
    st.caption("Publish a run to show it to the whole class: students see it beside their own runs, read-only.")
    store = run_store()
    runs, _ = snapshot().select(lecturer=True)
    finished = [r for r in runs if r.state in ("done", "stopped") and r.metrics]
    if not finished:
        st.info("No finished run yet.")
        return
    published = [r.run_id for r in finished if r.published]
    if is_presenting():  # no names on the projector; the choice is made with presentation mode off
        st.caption(f"{len(published)} run(s) published. Switch presentation mode off to change which (it shows who "
                   "made each run).")
        return
    shown = {r.run_id: f"{owner_shown(r.owner, shared_owner=SHARED_OWNER)} · {tasks.get(r.task).title} · "
                       f"{run_line(r, tasks.get(r.task))} · #{r.run_id[-6:]}" for r in finished}
    chosen = st.multiselect("Published", list(shown), default=published, format_func=shown.get, key="class_published")
    if set(chosen) != set(published):
        for run_id in set(chosen) ^ set(published):
            store.publish(run_id, run_id in chosen, by=identity().name)
        st.rerun()


def locks_section() -> None:
    """Accounts and addresses locked after failed sign-ins (:mod:`lib.access.guard`), each with Unlock."""
    settings = class_settings()
    if settings.auth != "roster":
        return
    locks = guard().locks()
    st.header("Locked sign-ins")
    if not locks:
        st.caption("No account and no computer is locked out after failed sign-ins.")
        return
    for lock in locks:
        left, middle, right = st.columns([3, 4, 1])
        what = (f"account **{plain(lock.key, limit=64)}**" if lock.kind == ACCOUNT else
                f"computer at **{plain(lock.key, limit=64)}**")
        left.markdown(what)
        middle.caption(f"{lock.failures} failed sign-ins; locked for another {duration(lock.until - time.time())}")
        right.button("Unlock", key=f"unlock_{lock.kind}_{lock.key}", on_click=guard().unlock, args=(lock.kind, lock.key))


def _import(upload_key: str) -> None:
    """The uploaded roster into the class file (under its lock); the new passwords kept in this session only, until
    downloaded."""
    upload = st.session_state.get(upload_key)
    if upload is None:
        st.session_state["_roster_outcome"] = ("error", "Choose a roster CSV first.")
        return
    try:
        if upload.size > MAX_ROSTER_BYTES:
            raise ValueError(f"{upload.name} is larger than {MAX_ROSTER_BYTES // (1024 * 1024)} MB: a roster holds "
                             "names and roles only")
        rows = read_roster(upload.getvalue().decode("utf-8-sig"), where=upload.name)
        prepared = prepare_passwords(class_settings(), rows)  # the slow part, before the class file's lock
        created = update_class(lambda settings: import_roster(settings, rows, prepared=prepared), required=True)
    except UnicodeDecodeError:
        st.session_state["_roster_outcome"] = ("error", f"{plain(upload.name)} is not a text file in UTF-8: export the roster as "
                                                        "CSV UTF-8 from the spreadsheet")
        return
    except (ClassFileError, ValueError, OSError) as exc:
        st.session_state["_roster_outcome"] = ("error", f"Nobody was added: {plain(str(exc))}")
        return
    st.session_state["_roster_upload"] = st.session_state.get("_roster_upload", 0) + 1  # a fresh, empty uploader
    if created:
        st.session_state["_roster_passwords"] = passwords_csv(created)
        st.session_state["_roster_outcome"] = ("success", f"{len(created)} new user(s) added, {len(rows) - len(created)} "
                                                          "already in the class. Download their passwords now: the list "
                                                          "is shown once and kept nowhere.")
    else:
        st.session_state["_roster_outcome"] = ("info", f"Everyone of {plain(upload.name)} is in the class already; nobody added.")


def _reset(name: str) -> None:
    try:
        password = update_class(lambda settings: reset_password(settings, name), required=True)
    except (ClassFileError, OSError) as exc:
        st.session_state["_roster_outcome"] = ("error", f"The password was not reset: {exc}")
        return
    sessions().close_user(name)
    st.session_state["_roster_outcome"] = ("password", (name, password))


def _remove(name: str) -> None:
    if name == identity().name:
        st.session_state["_roster_outcome"] = ("error", "You cannot remove yourself while signed in.")
        return
    try:
        update_class(lambda settings: (remove_user(settings, name), None), required=True)
    except (ClassFileError, OSError) as exc:
        st.session_state["_roster_outcome"] = ("error", f"{name} was not removed: {exc}")
        return
    sessions().close_user(name)
    st.session_state["_roster_outcome"] = ("success", f"{name} was removed and signed out; their runs stay on disk.")


def roster_section() -> None:
    """Who may sign in: add a roster CSV (generated passwords, downloaded once), reset a password, remove a user."""
    settings = class_settings()
    if settings.auth != "roster":
        return
    st.header("Students and passwords")
    lecturers = [n for n in sorted(settings.users) if n in settings.lecturers]
    students = [n for n in sorted(settings.users) if n not in settings.lecturers]
    st.caption(f"{len(students)} student(s), {len(lecturers)} lecturer(s): " + ", ".join(map(plain, students[:12]))
               + (f" and {len(students) - 12} more" if len(students) > 12 else ""))
    left, right = st.columns(2)
    with left:
        upload_key = f"roster_csv_{st.session_state.get('_roster_upload', 0)}"
        st.file_uploader("Add people from a roster CSV (a header name, optionally role: student or lecturer)",
                         type=["csv"], key=upload_key)
        st.button("Add them with new passwords", on_click=_import, args=(upload_key,), key="roster_import")
    with right:
        chosen = st.selectbox("User", sorted(settings.users), index=None, placeholder="Choose a user",
                              key="roster_user")
        a, b = st.columns(2)
        a.button("Reset the password", disabled=chosen is None, on_click=_reset, args=(chosen,), key="roster_reset",
                 help="A new generated password, shown once here; they are signed out everywhere")
        confirm = b.checkbox("Yes, remove", key="roster_confirm", disabled=chosen is None,
                             help="Removing signs them out; their runs stay")
        b.button("Remove", disabled=chosen is None or not confirm, on_click=_remove, args=(chosen,), key="roster_remove")
    outcome = st.session_state.pop("_roster_outcome", None)
    if outcome and outcome[0] == "password":
        name, password = outcome[1]
        st.success(f"{plain(name)}'s new password (shown once, kept nowhere):")
        st.code(password, language=None)
    elif outcome:
        {"error": st.error, "info": st.info, "success": st.success}[outcome[0]](outcome[1])
    listing = st.session_state.get("_roster_passwords")
    if listing:
        st.download_button("Download the new passwords (once)", listing, file_name="passwords.csv", mime="text/csv",
                           type="primary", key="roster_download",
                           on_click=lambda: st.session_state.pop("_roster_passwords", None))


_BOUNDS = ("at least", "at most")


def _label(name: str) -> str:
    """A setting's name for people, as the tasks' fields give it ("Batch size"), without the part in brackets."""
    for task in tasks.all_tasks():
        if name in task.fields and task.fields[name].label:
            return task.fields[name].label.split(" (")[0]
    return name.replace("_", " ").capitalize()


def _whole(name: str) -> bool:
    return any(name in task.fields and task.fields[name].kind is int for task in tasks.all_tasks())


def _save_limits(limits: dict, keys: dict) -> None:
    """The form's values (session keys) into the class file; the outcome is shown on the next run."""
    caps = {name: tuple(st.session_state[keys[name, i]] if (name, i) in keys else bound for i, bound in enumerate(pair))
            for name, pair in limits.items()}
    try:
        # changed under the class file's lock, from the file as it is now (a roster imported meanwhile stays)
        update_class(lambda now: (replace(now, max_active_runs=int(st.session_state["class_max_active"]), caps=caps),
                                  None), required=True)
    except (ClassFileError, OSError) as exc:
        st.session_state["_class_limits_outcome"] = ("error", f"The limits were not saved: {exc}")
    else:
        st.session_state["_class_limits_outcome"] = ("success", "Saved: they apply to the next run each student starts.")


def limits_section() -> None:
    """What a student may start: runs at once and the size of each run, one input per bound (the class file's own, else
    the one the tasks declare). Saved to the class file."""
    settings = class_settings()
    st.header("Limits for students")
    if not settings.is_class:
        st.info("Single-user mode (no class file): there are no students to limit. See the README to set up a class.")
        return
    limits = bounds(settings, tasks.default_caps())
    keys = {}
    with st.form("class_limits"):
        st.number_input("Runs waiting or training at once, per student", 1, 100, settings.max_active_runs,
                        key="class_max_active")
        columns = st.columns(3)
        shown = [(name, i, bound) for name, pair in sorted(limits.items(), key=lambda kv: _label(kv[0]))
                 for i, bound in enumerate(pair) if bound is not None]
        for column, (name, i, bound) in zip(itertools.cycle(columns), shown):
            keys[name, i] = f"cap_{('low', 'high')[i]}_{name}"
            if _whole(name):
                column.number_input(f"{_label(name)}: {_BOUNDS[i]}", 0, 1_000_000, int(bound), step=1, key=keys[name, i])
            else:
                column.number_input(f"{_label(name)}: {_BOUNDS[i]}", 0.0, 1e6, float(bound), format="%g",
                                    key=keys[name, i])
        st.form_submit_button("Save the limits", type="primary", on_click=_save_limits, args=(limits, keys))
    outcome = st.session_state.pop("_class_limits_outcome", None)
    if outcome:
        (st.error if outcome[0] == "error" else st.success)(outcome[1])
    st.caption("Now: " + "; ".join(f"{_label(n)} {_BOUNDS[i]} {number(b)}" for n, i, b in shown) + ".")


def answers_section() -> None:
    """The students' answers to the course's questions, question by question; chosen ones shown without names for the
    projector (in presentation mode no name shows at all)."""
    st.header("Answers to the course's questions")
    found = answer_book().by_question()
    if not found:
        st.info("No student has answered a question yet: each 'Think about it' box on the task pages has an answer box.")
        return
    presenting = is_presenting()
    for key in QUESTIONS:  # in the course's order
        answers = found.get(key, [])
        with st.expander(f"{question(key)[0]} ({len(answers)} answered)", expanded=bool(answers) and presenting):
            chosen = []
            for i, written in enumerate(answers):
                pick, text = st.columns([1, 14])
                if pick.checkbox("Show on the projector", key=f"class_show_{key}_{i}", label_visibility="collapsed"):
                    chosen.append(written)
                text.markdown(("" if presenting else f"**{plain(written.user)}**: ") + plain(written.text))
            if chosen:
                st.markdown("**For the class** (no names):")
                for written in chosen:
                    st.info(plain(written.text))


def class_experiment_section() -> None:
    """The class's shared runs as one experiment: a setting against a result, one point per run, live."""
    st.header("The class's runs as one experiment")
    st.caption("Every finished run a student shared with the class, as one point: thirty students trying a learning "
               "rate each are a sweep nobody could run alone. Click a point to open its run. On the projector, no "
               "names.")
    names = tasks.names()
    left, middle, right = st.columns(3)
    task = tasks.get(left.selectbox("Task", names, format_func=lambda n: tasks.get(n).title, key="class_sweep_task"))
    choices = class_sweep.settings(task)
    default = next((i for i, n in enumerate(choices) if n in ("learning_rate", "label_fraction")), 0)
    setting = middle.selectbox("Setting", list(choices), index=default, format_func=choices.get,
                               key=f"class_sweep_setting_{task.name}")
    measures = class_sweep.measures(task)
    measure = right.selectbox("Result", list(measures), format_func=measures.get, key=f"class_sweep_measure_{task.name}")
    _class_experiment_plot(task.name, setting, measure)


@st.fragment(run_every=5.0)
def _class_experiment_plot(task_name: str, setting: str, measure: str) -> None:
    task = tasks.get(task_name)
    store = run_store()
    points = class_sweep.class_points(store, task, setting=setting, measure=measure)
    if not points:
        st.info(f"No shared {task.title} run yet: a student shares one under its results ('Share this run with the "
                "class's experiment').")
        return
    xs = [p.x for p in points]
    log_x = min(xs) > 0 and max(xs) / min(xs) >= 100
    figure = class_runs_figure(points, x_title=class_sweep.settings(task)[setting],
                               y_title=class_sweep.measures(task)[measure], log_x=log_x, names=not is_presenting())
    x_title, y_title = class_sweep.settings(task)[setting], class_sweep.measures(task)[measure]
    event = chart(figure, on_select="rerun", selection_mode="points", key=f"class_sweep_{task_name}",
                  name=f"The class's runs: {y_title} against {x_title}",
                  summary=f"Each of the {len(points)} shared {task.title} runs as a point: {y_title} against {x_title}; "
                          "choose a point to open its run.")
    st.caption(f"{len(points)} shared run(s) from {len({p.who for p in points})} student(s).")
    selected = [p.get("customdata") for p in (event.selection.points if event else [])] if event else []
    selected = [run_id for run_id in selected if isinstance(run_id, str)]
    # the same choice from a list, for the keyboard and a screen reader (a chart's points are clicked)
    # One list per mode: a list's choice is kept as its text, so one list whose texts lose their names on the projector
    # showed the old text (a student's name) until its next refresh, then dropped the choice. The run stays open
    # across the switch: the new list starts at the run the other one had open.
    by_id = {p.run_id: p for p in points}
    presenting = is_presenting()
    opened, pick = f"_class_sweep_open_{task_name}", f"class_sweep_pick_{task_name}_{'projector' if presenting else 'desk'}"
    ids = list(by_id)
    listed = st.selectbox(
        "Or open a run from the list", ids, index=ids.index(st.session_state[opened])
        if st.session_state.get(opened) in by_id else None, key=pick, placeholder="Choose a point",
        format_func=lambda run_id: _point_text(by_id[run_id], x_title, y_title, names=not presenting),
        on_change=_remember_open, args=(pick, opened))
    if selected:
        _open_read_only(selected[0], task)
    elif listed in by_id:
        _open_read_only(listed, task)


def _remember_open(pick: str, opened: str) -> None:
    st.session_state[opened] = st.session_state.get(pick)


def _point_text(point, x_title: str, y_title: str, *, names: bool) -> str:
    """One point of the class experiment as a list entry: its setting and result (and, off the projector, whose)."""
    text = f"{x_title} {point.x:g}: {y_title} {point.y:.3f}"
    return f"{text} ({point.who})" if names else text


def _open_read_only(run_id: str, task) -> None:
    """A clicked point's run, read-only: its line, results, diagnosis and curves."""
    try:
        run = run_store().load(run_id, lecturer=True)
    except ValueError as exc:
        st.warning(f"That run cannot be opened: {exc}")
        return
    with st.container(border=True):
        who = "" if is_presenting() else f"{owner_shown(run.summary.owner, shared_owner=SHARED_OWNER)} · "
        st.markdown(f"**{plain(who + run_line(run.summary, task))}** (read-only)")
        st.caption(" · ".join(f"{plain(k)} {metric_text(v)}" for k, v in run.metrics.items()
                              if isinstance(v, (int, float)) and not isinstance(v, bool)))
        for finding in diagnose_run(run, task):
            st.caption(f"{finding.title}: {finding.text}")
        if not run.history.empty:
            chart(history_figure(run.history, metrics=task.metrics_shown), key=f"class_sweep_run_{run_id}",
                  name="Training curves of the chosen run",
                  summary=f"The chosen run's {', '.join(task.metrics_shown)} per epoch, training and validation, over "
                          f"{len(run.history)} epoch(s).")
