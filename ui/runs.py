"""The run store and the executor as the pages share them, and the run a user's page follows.

A small module of its own so that the sign-in (``ui.session``), the presets, the training panel and the Class page
can all use them without importing one another.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib import paths, tasks
from lib.jobs.folder.protocol import followed_run
from lib.access.identity import owner_shown
from lib.jobs.folder.store import SHARED_OWNER, RunStore, Snapshot
from lib.jobs.executor import Executor, make_executor
from lib.jobs.job import run_job


@st.cache_resource
def executor() -> Executor:
    """The server's executor (``DLMI_EXECUTOR``: local worker processes, or Ray tasks), made once per server."""
    return make_executor(job=run_job)


@st.cache_resource
def _store(root: str, names: tuple[str, ...]) -> RunStore:
    return RunStore(root, tasks=names)


def run_store() -> RunStore:
    """The runs folder, knowing this server's tasks (a run of a task it does not have is listed as unreadable): one
    store per server, which remembers what it read of each run folder until that folder changes."""
    return _store(str(paths.runs_dir()), tuple(tasks.names()))


_SNAPSHOT = "_runs_snapshot"


def snapshot() -> Snapshot:
    """Every run of the runs folder (all owners; :meth:`Snapshot.select` filters for a viewer), listed once per script
    run (a page run or a fragment's) and handed to the live panel, the run picker, the estimates and the experiment.
    Admission does not use it: it counts under the admission lock (ui.admission)."""
    try:
        this_run = get_script_run_ctx().cursors  # a new dict at the start of every script run
    except AttributeError:  # no script run (called from a thread): a fresh listing
        return run_store().snapshot()
    kept = st.session_state.get(_SNAPSHOT)
    if kept is not None and kept[0] is this_run:
        return kept[1]
    taken = run_store().snapshot()
    st.session_state[_SNAPSHOT] = (this_run, taken)
    return taken


def active_run(task: str, owner: str):
    """The run of ``task`` that ``owner``'s page follows (training, else their oldest waiting one), or None."""
    runs, _ = snapshot().select(task=task, viewer=owner)
    return followed_run(runs, owner)


def whose(summary, viewer: str) -> str:
    """Whose run it is, as a run list says it to ``viewer`` (an owner): "yours", "published by ada", the command
    line's shared runs, or (a lecturer's view of everyone's) the owner's name."""
    if summary.owner == viewer:
        return "yours"
    if summary.published:
        return f"published by {summary.published_by or 'a lecturer'}"
    if summary.owner == SHARED_OWNER:
        return "shared (command line)"
    return f"{owner_shown(summary.owner, shared_owner=SHARED_OWNER)}'s"
