"""Why every page says who is signed in: the sidebar of a signed-in session (who, the report download, sign-out)."""

from __future__ import annotations

from typing import Callable

import streamlit as st

from lib.access.identity import Identity
from lib.access.policy import ClassSettings
from lib.text import plain
from ui.components import session_cookie
from ui.report_download import report_button


def draw(identity: Identity, settings: ClassSettings, *, sign_out: Callable[[ClassSettings], None],
         ticket: str | None) -> None:
    """The sidebar for ``identity``; ``sign_out``: what the Sign out button calls; ``ticket``: the one-time ticket of a
    sign-in that just happened (the browser trades it for the cookie that keeps it signed in on a reload)."""
    if settings.auth == "token":
        st.sidebar.caption("Single-user mode: this page's address is your identity; anyone with it sees and controls "
                           "your runs. For a class, set up sign-in (README, 'A class on one server').")
        report_button(identity)
        return
    st.sidebar.markdown(f"Signed in as **{plain(identity.name)}** ({identity.role})")
    if ticket:
        with st.sidebar:
            session_cookie.exchange(ticket)
    report_button(identity)
    if settings.auth in ("roster", "oidc"):
        st.sidebar.button("Sign out", on_click=sign_out, args=(settings,), key="_sign_out")
