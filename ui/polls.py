"""Class polls in the pages: the lecturer opens one on a published DR run (Class page) or on an uploaded set of
scores (Screening page: the set is saved as a class set only then) and watches the class's points arrive; a student
answers from the DR or Screening page with the operating point they chose (``lib.classroom.polls`` keeps them)."""

from __future__ import annotations

import time

import streamlit as st

from lib.classroom.polls import (DEFAULT_QUESTION, QUESTION_CHARS, REASON_CHARS, SET_QUESTION, Answer, Poll, PollError,
                                 PollStore, poll_drawing)
from lib.classroom.sets import SetError
from lib.classroom.sets import set_id_of as _set_digest
from lib.data.scores import ScoreSet
from lib.metrics.roc import THRESHOLD_DECIMALS
from lib.jobs.folder.describe import run_line
from lib import tasks
from lib.text import duration, plain
from ui.components.roc_point import roc_operating_point
from ui.runs import run_store
from ui.session import identity
from ui.shell import is_presenting
from ui.training import follow_run


def poll_store() -> PollStore:
    return PollStore(run_store())


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{value:.1%}"  # NaN (nobody referred: no PPV) is "n/a"


def _point_line(answer: Answer) -> str:
    return (f"threshold {answer.threshold:.{THRESHOLD_DECIMALS}f}: sensitivity {_pct(answer.sensitivity)}, "
            f"specificity {_pct(answer.specificity)}, PPV {_pct(answer.ppv)}")


# -- the lecturer -----------------------------------------------------------------------------------------------------
def _open(run_id: str, prefix: str = "poll") -> None:
    state = st.session_state
    costs = (state[f"{prefix}_cost_missed"], state[f"{prefix}_cost_unneeded"]) if state.get(f"{prefix}_costs_on") else None
    try:
        poll = poll_store().open(run_id, by=identity().name, question=state.get(f"{prefix}_question"),
                                 prevalence=state.get(f"{prefix}_prevalence", 0.2), costs=costs)
    except PollError as exc:
        state[f"{prefix}_message"] = ("error", f"Could not open the poll: {plain(str(exc))}")
    else:
        page = "Screening" if poll.on_set else "DR"
        state[f"{prefix}_message"] = ("success", f"Poll open: students see it on the {page} page "
                                                 f"({plain(poll.question)})")


def _poll_form(prefix: str, question: str) -> None:
    """The question, the prevalence and the optional fixed costs of a new poll (keys ``{prefix}_question`` ...)."""
    st.text_input("Question", question, key=f"{prefix}_question", max_chars=QUESTION_CHARS)
    st.slider("Prevalence the class screens at", 0.01, 0.99, 0.2, 0.01, key=f"{prefix}_prevalence")
    st.checkbox("Fix the costs of the two errors for everyone", key=f"{prefix}_costs_on")
    if st.session_state.get(f"{prefix}_costs_on"):
        left, right = st.columns(2)
        left.number_input("Cost of a missed referral", 0.0, 1e6, 10.0, key=f"{prefix}_cost_missed")
        right.number_input("Cost of an unnecessary referral", 0.0, 1e6, 1.0, key=f"{prefix}_cost_unneeded")


def _close(poll_id: str) -> None:
    try:
        poll_store().close(poll_id, reveal=bool(st.session_state.get(f"poll_reveal_{poll_id}")))
    except PollError as exc:
        st.session_state["poll_message"] = ("error", str(exc))


def lecturer_section() -> None:
    """Open a poll on a published DR run; every poll, live while open."""
    st.header("Class polls")
    st.caption("Ask the class where they would put the screening threshold: each student drags on the same published "
               "ROC and submits. Their points arrive here live; on the projector without names. To poll on a set of "
               "scores of your own (a vendor's, a paper's), upload it on the Screening page and click \"Poll the class "
               "on this set\" there.")
    message = st.session_state.pop("poll_message", None)
    if message:
        getattr(st, message[0])(message[1])
    runs, _ = run_store().list(lecturer=True)
    with_roc = {name for name in tasks.names() if tasks.get(name).headline == "auc"}  # a ROC to put points on
    published = {r.run_id: r for r in runs if r.published and r.state in ("done", "stopped") and r.task in with_roc}
    if not published:
        st.info("Publish a finished DR run (above) to poll the class on it.")
    else:
        with st.expander("Open a new poll", expanded=not poll_store().open_polls()):
            chosen = st.selectbox("On the run", list(published), key="poll_run",
                                  format_func=lambda i: f"{tasks.get(published[i].task).title} · "
                                                        f"{run_line(published[i], tasks.get(published[i].task))} · #{i[-6:]}")
            _poll_form("poll", DEFAULT_QUESTION)
            st.button("Open the poll", key="poll_open", type="primary", on_click=_open, args=(chosen,))
    polls, problems = poll_store().polls()
    _open_and_closed(polls, closed_title="Closed polls")
    for problem in problems:
        st.caption(f"A poll cannot be read: {problem}")


def _open_on_set(data: ScoreSet) -> None:
    """Save the set the lecturer is looking at as a class set (only now: until this click it lived in their session)
    and open a poll on it."""
    who = identity()
    if not who.is_lecturer:  # the button is only drawn for lecturers; a forged click stores nothing
        st.session_state["screen_poll_message"] = ("error", "Only a lecturer can poll the class.")
        return
    try:
        saved = poll_store().sets.save(data.scores, data.labels, groups=data.groups, source=data.source, by=who.name)
    except SetError as exc:
        st.session_state["screen_poll_message"] = ("error", f"Could not save the set for the class: {plain(str(exc))}")
        return
    _open(saved.set_id, prefix="screen_poll")


def set_poll_section(data: ScoreSet, set_id: str) -> None:
    """On the Screening page, for a lecturer: poll the class on the set shown (an upload, pasted text or a class set
    whose id is ``set_id``), and every poll on it, live while open. Nothing for a student."""
    if not identity().is_lecturer:
        return
    message = st.session_state.pop("screen_poll_message", None)
    if message:
        getattr(st, message[0])(message[1])
    try:
        polls = [p for p in poll_store().polls()[0] if p.run_id == set_id]
    except OSError:
        polls = []
    with st.expander("Poll the class on this set", expanded=not polls):
        st.caption("Each student gets this set on their Screening page, drags the operating point and submits their "
                   "threshold; their points arrive below live. The set is saved for the class (in the class's runs "
                   "folder, privately) only when you click.")
        _poll_form("screen_poll", SET_QUESTION)
        st.button("Poll the class on this set", key="screen_poll_open", type="primary", on_click=_open_on_set,
                  args=(data,))
    _open_and_closed(polls, closed_title="Closed polls on this set")


def _open_and_closed(polls: list[Poll], *, closed_title: str) -> None:
    """Each open poll live; the closed ones in an expander under ``closed_title``."""
    for poll in polls:
        if poll.is_open:
            _live_poll(poll.poll_id)
    closed = [p for p in polls if not p.is_open]
    if closed:
        with st.expander(f"{closed_title} ({len(closed)})"):
            for poll in closed:
                _poll_view(poll)


@st.fragment(run_every=2.0)
def _live_poll(poll_id: str) -> None:
    try:
        poll = poll_store().get(poll_id)
    except PollError as exc:
        st.error(str(exc))
        return
    _poll_view(poll)


def _poll_view(poll: Poll) -> None:
    """One poll as the lecturer sees it: every point on the run's ROC, the median and the spread; names and
    reasons below, the names hidden in presentation mode."""
    store = poll_store()
    try:
        view = store.class_view(poll.poll_id)
        curve = store.curve(poll.run_id)
    except PollError as exc:
        st.warning(f"{plain(poll.question)}: {plain(str(exc))}")
        return
    on = ""
    if poll.on_set:
        try:
            found = store.sets.get(poll.run_id)
            on = f" · on the class set {plain(found.source)} ({found.n} items)"
        except SetError:
            on = " · on a class set"
    with st.container(border=True):
        state = "open" if poll.is_open else "closed" + (f" ({poll.closed_why})" if poll.closed_why else "")
        st.subheader(plain(poll.question))
        st.caption(f"At a prevalence of {poll.prevalence:.0%} · opened by {plain(poll.opened_by)} "
                   f"{duration(time.time() - poll.opened_at)} ago · {state}{on}"
                   + (f" · costs fixed: a miss {poll.costs[0]:g}, an unnecessary referral {poll.costs[1]:g}"
                      if poll.costs else ""))
        drawing = poll_drawing(curve, view, prevalence=poll.prevalence)  # nothing of the answer before the reveal
        presenting = is_presenting()
        left, right = st.columns([3, 2])
        with left:
            # on the projector the curve alone: the median's figures are beside it, and one screen holds both
            roc_operating_point({**drawing, "presentation": presenting, "panel": not presenting},
                                key=f"poll_roc_{poll.poll_id}")
        with right:
            if presenting:  # one screen: a line for the count and the median, the answers beside the curve
                st.markdown(f"**{len(view.answers)} answer{'s' if len(view.answers) != 1 else ''}**"
                            + (f" · the median: {_point_line(view.median)}" if view.median else ""))
            else:
                st.metric("Answers", len(view.answers))
            if view.median and not presenting:
                st.markdown(f"**The class's median**: {_point_line(view.median)}")
                rows = {name: f"{_pct(s[0])} · {_pct(s[1])} – {_pct(s[3])} · {_pct(s[4])}"
                        for name, s in view.spread.items()}
                st.markdown("Spread (lowest · middle half · highest):\n\n" +
                            "\n".join(f"- {name}: {text}" for name, text in rows.items()))
            for reveal in (view.youden, view.rule_out):
                if reveal is not None:
                    st.markdown(f"**{plain(reveal.user)}**: {_point_line(reveal)}")
            if presenting:
                _answers(view.answers, presenting=True)
            if poll.is_open:
                st.checkbox("Reveal Youden's point and the rule-out on closing" if presenting else
                            "On closing, show Youden's point and the rule-out preset", key=f"poll_reveal_{poll.poll_id}")
                st.button("Close the poll", key=f"poll_close_{poll.poll_id}", on_click=_close, args=(poll.poll_id,))
        if not presenting:
            _answers(view.answers, presenting=False)


def _answers(answers: list[Answer], *, presenting: bool) -> None:
    """Every answer: name (not on the projector), threshold, figures and reason; on the projector a scrolling table
    of a few rows, so that it never pushes the view off the screen."""
    if not answers:
        return
    table = [{**({} if presenting else {"student": a.user}), "threshold": round(a.threshold, THRESHOLD_DECIMALS),
              "sensitivity": _pct(a.sensitivity), "specificity": _pct(a.specificity),
              **({} if presenting else {"PPV": _pct(a.ppv)}), "reason": a.reason} for a in answers]
    st.dataframe(table, hide_index=True, height=min(36 * (len(table) + 1) + 3, 150) if presenting else "auto")


# -- a student --------------------------------------------------------------------------------------------------------
def _submit(poll_id: str, threshold: float) -> None:
    who = identity()
    try:
        answer = poll_store().submit(poll_id, owner=who.owner, name=who.name, threshold=threshold,
                                     reason=st.session_state.get(f"poll_reason_{poll_id}", ""))
    except PollError as exc:
        st.session_state[f"poll_said_{poll_id}"] = ("error", f"Not submitted: {plain(str(exc))}")
    else:
        st.session_state[f"poll_said_{poll_id}"] = ("success", f"Submitted: {_point_line(answer)}. Submit again to "
                                                               "replace it.")


def _use_costs(key: str, costs: tuple[float, float], prevalence: float) -> None:
    st.session_state.update({f"{key}_costs_on": True, f"{key}_cost_missed": float(costs[0]),
                             f"{key}_cost_unneeded": float(costs[1]), f"{key}_prevalence": float(prevalence)})


def open_polls(task: str) -> list[Poll]:
    """The class's open polls on this task's runs (``"screening"``: on class sets; none when the polls cannot be read:
    the page goes on)."""
    try:
        return poll_store().open_polls(task)
    except OSError:
        return []


def _said_after_close(polls: list[Poll]) -> None:
    """A poll that closed between a student's click and this run: say what became of the answer."""
    shown = {poll.poll_id for poll in polls}
    for key in [k for k in st.session_state if str(k).startswith("poll_said_")]:
        if key.removeprefix("poll_said_") not in shown:
            kind, text = st.session_state.pop(key)
            getattr(st, kind)(f"Class poll: {text}")


def student_box(polls: list[Poll], run_id: str | None, threshold: float, *, key: str) -> None:
    """Beside the operating point panel: the class's open polls (``open_polls``), answered with this threshold.
    ``key`` is the operating point's key prefix, whose costs and prevalence a poll's fixed costs set."""
    _said_after_close(polls)
    for poll in polls:
        with st.container(border=True):
            st.markdown(f"**Class poll**: {plain(poll.question)} *(prevalence {poll.prevalence:.0%}"
                        + (f"; a miss costs {poll.costs[0]:g}, an unnecessary referral {poll.costs[1]:g}"
                           if poll.costs else "") + ")*")
            if poll.run_id != run_id:
                _follow_button(poll)
                continue
            if poll.costs:  # the class argues about the same question: the poll's costs on this page's curve
                st.button("Use the poll's costs on the curve", key=f"poll_costs_{poll.poll_id}", on_click=_use_costs,
                          args=(key, poll.costs, poll.prevalence))
            said = st.session_state.pop(f"poll_said_{poll.poll_id}", None)
            if said:
                getattr(st, said[0])(said[1])
            mine = poll_store().mine(poll.poll_id, identity().owner)
            if mine and not said:
                st.caption(f"Your answer: {_point_line(mine)}" + (f" · {plain(mine.reason)}" if mine.reason else ""))
            st.text_input(f"Why there? (one line, at most {REASON_CHARS} characters; optional)",
                          key=f"poll_reason_{poll.poll_id}")
            st.button(f"Submit threshold {threshold:.{THRESHOLD_DECIMALS}f}", key=f"poll_submit_{poll.poll_id}",
                      on_click=_submit, args=(poll.poll_id, threshold), type="primary", width="stretch")


# -- a poll on a class set --------------------------------------------------------------------------------------------
_FOLLOW_SET = "_screen_follow_set"


def follow_set(set_id: str) -> None:
    """Show the class set ``set_id`` as the Screening page's scores at the next run (a poll's "Open the poll's set")."""
    st.session_state[_FOLLOW_SET] = set_id


def followed_set() -> str | None:
    """The class set a click asked the Screening page to show (once), else None."""
    return st.session_state.pop(_FOLLOW_SET, None)


def _follow_button(poll: Poll) -> None:
    if poll.on_set:
        st.button("Open the poll's set", key=f"poll_follow_{poll.poll_id}", on_click=follow_set, args=(poll.run_id,))
    else:
        st.button("Open the poll's run", key=f"poll_follow_{poll.poll_id}", on_click=follow_run,
                  args=(poll.task, poll.run_id))


def poll_invitations(polls: list[Poll]) -> None:
    """Where the page has nothing to answer with yet (no scores chosen): each open poll's question and the button that
    opens its set or run."""
    for poll in polls:
        with st.container(border=True):
            st.markdown(f"**Class poll**: {plain(poll.question)} *(prevalence {poll.prevalence:.0%})*")
            _follow_button(poll)


def load_set(set_id: str) -> ScoreSet | None:
    """A class set's items (None, with the reason shown, when it is gone or broken)."""
    try:
        return poll_store().sets.load(set_id)
    except SetError as exc:
        st.error(f"The class set cannot be shown: {plain(str(exc))}")
        return None


def set_id_of(data: ScoreSet) -> str | None:
    """The class set id these items have (saved or not; computing it stores nothing), None when they cannot be one."""
    try:
        return _set_digest(data.scores, data.labels, data.groups)
    except SetError:
        return None


def set_choices(polls: list[Poll], current: str | None) -> list[str]:
    """The class sets a student may show: those of the open polls, and the one already shown."""
    ids = list(dict.fromkeys(p.run_id for p in polls if p.on_set))
    if current and current not in ids:
        ids.append(current)
    return ids


def set_label(set_id: str) -> str:
    try:
        found = poll_store().sets.get(set_id)
    except SetError:
        return f"a class set ({set_id[-6:]}, gone)"
    return f"{found.source} · {found.n} items · saved by {found.saved_by}"
