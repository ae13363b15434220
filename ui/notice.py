"""What to notice beside a result, and the course's "think about it" prompts (texts from :mod:`lib.notice`)."""

from __future__ import annotations

import streamlit as st

from lib.notice import QUESTIONS


def notice(text: str | None) -> None:
    """One or two sentences that read the student's own numbers."""
    if text:
        st.info(f"**What to notice.** {text}", icon=":material/visibility:")


def think(key: str) -> None:
    """A course question at the step where it belongs, the answer behind a click."""
    question, answer = QUESTIONS[key]
    with st.expander(f"Think about it: {question}", icon=":material/psychology_alt:"):
        st.markdown(answer)
