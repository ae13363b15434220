"""What to notice beside a result, and the course's "think about it" prompts (texts from :mod:`lib.notice`)."""

from __future__ import annotations

import time

import streamlit as st

from lib.classroom.answers import AnswerBook, AnswerError
from lib.notice import question
from ui.runs import run_store
from ui.session import identity


def notice(text: str | None) -> None:
    """One or two sentences that read the student's own numbers."""
    if text:
        st.info(f"**What to notice.** {text}", icon=":material/visibility:")


def answer_book() -> AnswerBook:
    return AnswerBook(run_store().root)


def _save_answer(key: str) -> None:
    who = identity()
    try:
        answer_book().save(who.owner, who.name, key, st.session_state.get(f"answer_{key}", ""))
    except (AnswerError, OSError) as exc:
        st.session_state[f"answer_said_{key}"] = ("error", f"Not saved: {exc}")
    else:
        st.session_state[f"answer_said_{key}"] = ("caption", f"Saved at {time.strftime('%H:%M:%S')}: only you and the "
                                                             "lecturer can read it.")


def think(key: str, *, tried: dict | None = None) -> None:
    """A course question at the step where it belongs: the student's own answer (saved for them, read by the
    lecturer), then the course's answer behind a toggle (``tried``: the values of settings among the student's runs,
    so that a question about a change they have not made invites them to make it)."""
    asked, answer = question(key, tried=tried)
    box = f"answer_{key}"
    if box not in st.session_state:  # a new session (a reload): the answer saved earlier
        st.session_state[box] = answer_book().mine(identity().owner).get(key, "")
    with st.expander(f"Think about it: {asked}", icon=":material/psychology_alt:"):
        st.text_area("Your answer", key=box, on_change=_save_answer, args=(key,), height=90,
                     placeholder="A sentence or two, in your own words; saved when you click outside the box")
        said = st.session_state.pop(f"answer_said_{key}", None)
        if said:
            getattr(st, said[0])(said[1])
        if st.toggle("Show the course's answer", key=f"think_show_{key}"):
            st.markdown(answer)
