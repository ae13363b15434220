"""The task pages of the navigation, from the registry: a task's own page (``pages/<name>.py``) where it has one,
else the generic page (:mod:`ui.generic`), so a new task appears in the app with no edit here."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lib import tasks
from ui.generic import task_page

PAGES = Path(__file__).resolve().parents[1] / "pages"


def page_of(task):
    """The ``st.Page`` of ``task``: its own page (``pages/<name>.py``) where it has one, else the generic page."""
    own = PAGES / f"{task.name}.py"
    if own.is_file():
        return st.Page(str(own), title=task.title, icon=task.icon)
    return st.Page(lambda task=task: task_page(task), title=task.title, icon=task.icon, url_path=task.name)


def task_pages() -> list:
    """One ``st.Page`` per registered task, in the registry's order."""
    return [page_of(task) for task in tasks.all_tasks()]


def page_addresses() -> list[str]:
    """Every page's address (url path) but Home's: the tasks', the Screening page's and the lecturer's Class page."""
    return [task.name for task in tasks.all_tasks()] + ["screening", "classroom"]


def sign_in_pages(sign_in) -> list:
    """The sign-in page under Home's address and under every other page's (hidden navigation): whatever address a
    browser opens or reloads before signing in, it gets the sign-in, and after it the page it asked for."""
    pages = [st.Page(sign_in, title="Sign in", icon=":material/login:", default=True)]
    pages += [st.Page(sign_in, title="Sign in", icon=":material/login:", url_path=address) for address in page_addresses()]
    return pages
