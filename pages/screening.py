"""Any screening test: your own scores (a CSV) or a finished DR run, with the operating point, calibration, the
decision curve and subgroups at one shared threshold."""

import streamlit as st

from ui.screening import calibration_section, decision_section, operating_section, source_section, subgroup_section
from ui.shell import ensure_entrypoint

ensure_entrypoint()

st.title("A screening test: bring your own scores")
st.caption("A published model's scores, your notebook's, a vendor's validation set, or a run trained here: the same "
           "questions for each. Nothing you upload is stored beyond this browser session, unless a lecturer polls the class on it.")
scores = source_section()
if scores is None:
    st.stop()
chosen = operating_section(scores)
calibration_section(scores, chosen)
decision_section(scores, chosen)
subgroup_section(scores, chosen)
