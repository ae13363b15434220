"""Entry point: ``streamlit run app.py``."""

from pathlib import Path

import streamlit as st

from ui.shell import app_style

# A local icon file: a Material icon here would be fetched from a font CDN, which an offline server cannot reach.
st.set_page_config(page_title="Deep learning in medical imaging", page_icon=str(Path(__file__).parent / "ui" / "assets" / "icon.png"),
                   layout="wide")

app_style()
pages = st.navigation(
    {
        "": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
        "Tasks": [
            st.Page("pages/dr.py", title="DR referral", icon=":material/visibility:"),
            st.Page("pages/lung2d.py", title="Lung 2D", icon=":material/pulmonology:"),
            st.Page("pages/lung3d.py", title="Lung 3D", icon=":material/view_in_ar:"),
        ],
    }
)
pages.run()
