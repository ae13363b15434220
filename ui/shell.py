"""Making sure every page runs inside the app's own navigation (app.py), however it is reached."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_entrypoint() -> None:
    """Call first in every page script.

    Streamlit starts in its legacy "pages folder" mode whenever a ``pages/`` folder exists, and stays
    there until some session runs ``st.navigation``. If the first visitor after a restart opens a
    bookmarked page (``/dr``), that page would run on its own: without app.py's layout, navigation
    and demo-data check. Here we leave that mode and rerun, so app.py runs and routes to the page.
    (Streamlit 1.67's ``PagesManager.uses_pages_directory``; pinned in requirements.txt.)
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# Streamlit's own "Running ... Stop" in the header would be a second Stop button beside the training panel's,
# stopping the page's script rather than the job; the panel's Stop is the one that stops a training.
_STYLE = ("<style>[data-testid='stStatusWidget'] {display: none;} "
          # Text contrast (WCAG 1.4.3): Streamlit draws captions in its text colour at 60 % (#828180 on white, 3.88:1)
          # and a disabled widget's label at 40 % (2.2:1); no theme option sets either (.streamlit/config.toml can set
          # only the text colour they fade). The text colour at 80 % opacity reads 6.6:1, in a light or a dark theme.
          "[data-testid='stCaptionContainer'] {color: inherit; opacity: 0.8;} "
          "label[data-testid='stWidgetLabel'][disabled] {color: inherit; opacity: 0.72;} "
          # A keyboard user sees where the focus is, also on a hidden-until-hover fullscreen button (WCAG 2.4.7)
          "[data-testid='stElementToolbar']:focus-within, [data-testid='stElementToolbarButton']:focus-visible "
          "{opacity: 1 !important; visibility: visible !important;}</style>")


# Presentation mode, for a projector: everything one and a quarter times larger (Streamlit sizes text in rem), and
# the small print (captions, help texts) hidden; what the class should look at stays. An image's caption is no small
# print (a photo's ID and score, "ground truth", "errors (IoU ...)"): it stays, larger (issue 34).
_PRESENTATION = ("<style>html {font-size: 20px;} [data-testid='stCaptionContainer']:not(.stImage *) {display: none;} "
                 ".stImage [data-testid='stCaptionContainer'] {font-size: 1rem;} "
                 # the hidden small print leaves no gap behind
                 "[data-testid='stElementContainer']:has(> [data-testid='stCaptionContainer']) {display: none;} "
                 "[data-testid='stTooltipIcon'] {display: none;} .js-plotly-plot .main-svg text {font-size: 1.05em;} "
                 # a label that does not fit its button or checkbox wraps onto a second line, never ends in "..."
                 "[data-testid='stBaseButton-secondary'] p, [data-testid='stBaseButton-primary'] p, "
                 "[data-testid='stCheckbox'] p {white-space: normal; overflow: visible; text-overflow: clip;} "
                 # a 1280 x 720 projector: the intervals under the curve stay on the screen
                 "@media (max-height: 800px) {[data-testid='stMetricValue'] {font-size: 1.6rem;}}</style>")


PRESENT_PARAM = "present"  # ?present=1 in the address: presentation mode survives a reload and opens from a slide's link


def app_style() -> None:
    """The app's own style, once per run of app.py, and the sidebar's presentation toggle."""
    st.html(_STYLE)
    if "presentation" not in st.session_state and st.query_params.get(PRESENT_PARAM) == "1":
        st.session_state["presentation"] = True  # a reload, or a link from a slide
    # The choice lives in a plain session key: the toggle's own state would not survive the first run (its widget id
    # changes once the navigation has chosen a page) nor page switches.
    st.sidebar.toggle("Presentation mode", value=st.session_state.get("presentation", False), key="_presentation_toggle",
                      on_change=_remember_presentation,
                      help="For a projector: larger text, the small print hidden. Switch off to change settings.")
    if is_presenting():
        st.html(_PRESENTATION)
        if st.query_params.get(PRESENT_PARAM) != "1":
            st.query_params[PRESENT_PARAM] = "1"  # kept in the address (again after a page switch, which drops it)
    elif PRESENT_PARAM in st.query_params:
        del st.query_params[PRESENT_PARAM]


def is_presenting() -> bool:
    """Whether this session shows the app for a projector (the sidebar's Presentation mode)."""
    return bool(st.session_state.get("presentation"))


def _remember_presentation() -> None:
    st.session_state["presentation"] = bool(st.session_state.get("_presentation_toggle"))
