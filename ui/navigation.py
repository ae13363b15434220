"""The task pages of the navigation, from the registry: a task's own page (``pages/<name>.py``) where it has one,
else the generic page (:mod:`ui.generic`), so a new task appears in the app with no edit here."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lib import tasks
from ui.generic import task_page

PAGES = Path(__file__).resolve().parents[1] / "pages"


def task_pages() -> list:
    """One ``st.Page`` per registered task, in the registry's order."""
    pages = []
    for task in tasks.all_tasks():
        own = PAGES / f"{task.name}.py"
        if own.is_file():
            pages.append(st.Page(str(own), title=task.title, icon=task.icon))
        else:
            pages.append(st.Page(lambda task=task: task_page(task), title=task.title, icon=task.icon,
                                 url_path=task.name))
    return pages
