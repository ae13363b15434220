"""The browser's half of the reload-proof sign-in: it trades the page's one-time ticket for the HttpOnly cookie
(``server.py``), or asks the server to clear the cookie at sign-out."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_COMPONENT = st.components.v2.component(
    "dlmi_session_cookie",
    html="",
    js=(Path(__file__).parent / "session_cookie.js").read_text(),
)


def exchange(ticket: str) -> None:
    """Have the browser set the session cookie for ``ticket`` (once)."""
    _COMPONENT(data={"action": "open", "ticket": ticket, "base": st.get_option("server.baseUrlPath") or ""},
               key="_dlmi_session_cookie", height=0)


def clear() -> None:
    """Have the browser ask the server to end the session and clear its cookie."""
    _COMPONENT(data={"action": "close", "base": st.get_option("server.baseUrlPath") or ""},
               key="_dlmi_session_cookie_clear", height=0)
