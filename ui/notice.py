"""What to notice beside a result, and the course's "think about it" prompts (texts from :mod:`lib.notice`)."""

from __future__ import annotations

import streamlit as st

from lib.notice import question


def notice(text: str | None) -> None:
    """One or two sentences that read the student's own numbers."""
    if text:
        st.info(f"**What to notice.** {text}", icon=":material/visibility:")


def think(key: str, *, tried: dict | None = None) -> None:
    """A course question at the step where it belongs, the answer behind a click (``tried``: the values of settings
    among the student's runs, so that a question about a change they have not made invites them to make it)."""
    asked, answer = question(key, tried=tried)
    with st.expander(f"Think about it: {asked}", icon=":material/psychology_alt:"):
        st.markdown(answer)
