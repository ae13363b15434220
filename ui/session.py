"""Who is this browser? An unguessable owner token that survives page switches and reloads.

The token lives in the session state and in the URL (``?u=...``): a reload opens a new Streamlit
session, and the token in the URL brings the user back to their own runs. Runs of other tokens are
neither listed nor loadable, so students on one server cannot see or stop each other's jobs.
"""

from __future__ import annotations

import re
import secrets

import streamlit as st

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def owner_token() -> str:
    token = st.session_state.get("owner")
    from_url = st.query_params.get("u")
    if token is None and from_url and _TOKEN.match(from_url):
        token = from_url
    if token is None:
        token = secrets.token_hex(16)
    st.session_state["owner"] = token
    if st.query_params.get("u") != token:
        st.query_params["u"] = token
    return token
