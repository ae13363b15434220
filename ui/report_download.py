"""Why a student need not copy numbers by hand: the sidebar's "Download my report" button (:mod:`lib.report`)."""

from __future__ import annotations

import streamlit as st

from lib.access.identity import Identity
from lib.report import build_report
from ui.runs import run_store

# The DR page's operating point (ui.operating_point keeps it under the key "dr"): the report marks the threshold chosen.
_THRESHOLD, _THRESHOLD_RUN = "dr_threshold", "dr_threshold_run"


def chosen_thresholds() -> dict[str, float]:
    """run id -> the threshold this session chose on the DR page (the report marks that operating point)."""
    run_id = st.session_state.get(_THRESHOLD_RUN)
    if isinstance(run_id, str) and _THRESHOLD in st.session_state:
        return {run_id: float(st.session_state[_THRESHOLD])}
    return {}


def report_button(identity: Identity) -> None:
    """One click: the student's runs and answers as a self-contained HTML file, made when clicked (the thresholds
    chosen in this session's pages go with it)."""
    chosen = chosen_thresholds()
    store = run_store()
    st.sidebar.download_button(
        "Download my report", data=lambda: build_report(store, owner=identity.owner, name=identity.name, chosen=chosen),
        file_name="dlmi-report.html", mime="text/html", key="_report", on_click="ignore", icon=":material/download:",
        help="Your finished runs in the course's order (settings, curves, test figures with your operating point) and "
             "your answers, in one HTML file that opens anywhere")
