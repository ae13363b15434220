"""Entry point: ``streamlit run app.py``. The navigation lists the registry's tasks (``lib.tasks``)."""

import os
from pathlib import Path

import streamlit as st

from ui.navigation import sign_in_pages, task_pages
from ui.session import sign_in_gate, sign_in_page
from ui.shell import app_style

# A local icon file: a Material icon here would be fetched from a font CDN, which an offline server cannot reach.
st.set_page_config(page_title="Deep learning in medical imaging", page_icon=str(Path(__file__).parent / "ui" / "assets" / "icon.png"),
                   layout="wide")

os.umask(0o077)  # everything the server and its workers write is this user's only (folders 0700, files 0600)
app_style()
identity = sign_in_gate()
if identity is None:  # not signed in (yet): the sign-in is the only page there is, at every page's address, so a
    # reload or a shared link to /lung2d shows the sign-in (never "Page not found") and, once signed in, that page
    st.navigation(sign_in_pages(sign_in_page), position="hidden").run()
    st.stop()
sections = {
    "": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Tasks": task_pages(),
    "Explore": [st.Page("pages/screening.py", title="Screening test", icon=":material/monitoring:")],
}
if identity.is_lecturer:
    sections["Lecturer"] = [st.Page("pages/classroom.py", title="Class", icon=":material/groups:")]
pages = st.navigation(sections)
pages.run()
