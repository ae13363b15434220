"""Finding, generating and caching the datasets for the pages."""

from __future__ import annotations

import inspect
import os
import re
import threading
import subprocess
import sys
from pathlib import Path

import streamlit as st

from lib import paths, tasks
from lib.data.check import DatasetCheck, is_synthetic
from lib.text import plain


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


_PROGRESS_LINE = re.compile(r"^\[\s*([\d.]+)%\] (.*)$")


@st.cache_resource(show_spinner=False)
def _generate_demo(out: str, small: bool, keys: tuple[str, ...]) -> None:
    # A child process (the CLI), not a pool forked or spawned from the server: Streamlit runs page
    # scripts as __main__, which multiprocessing's spawn would re-run in every worker.
    bar = st.progress(0.0, text="Generating the synthetic demo data for this page (first time only, under a minute)...")
    command = [sys.executable, "-m", "lib", "demo", "--out", out] + (["--small"] if small else [])
    if len(keys) == 1:
        command.append(keys[0])  # only the one that is missing
    other: list[str] = []
    with subprocess.Popen(command, cwd=paths.PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            match = _PROGRESS_LINE.match(line.strip())
            if match:
                bar.progress(min(1.0, float(match.group(1)) / 100), text=f"Generating demo data: {match.group(2)}")
            else:
                other.append(line.rstrip())
    bar.empty()
    if proc.returncode != 0:
        raise OSError(f"`{' '.join(command)}` failed: {' '.join(other[-5:])}")


def ensure_demo_data(task_names: list[str] | None = None) -> None:
    """Generate the demo datasets of these tasks (default: all) once per server, where a task has no other data."""
    datasets = {tasks.get(name).dataset.key: tasks.get(name).dataset for name in (task_names or tasks.names())}
    missing = tuple(key for key, dataset in datasets.items()
                    if (loc := paths.locate(dataset)).is_demo and not is_synthetic(loc.path))
    if missing:
        small = os.environ.get("DLMI_DEMO_SIZE", "") == "small"
        try:
            _generate_demo(str(paths.demo_dir()), small, missing)
        except OSError as exc:
            st.error(f"Could not write the demo data to {paths.demo_dir()}: {exc}")


# A resource, not data: every session and every rerun shares the one report (read-only) instead of unpickling a copy,
# which took about a second per page run for Kaggle's 35,126 photos.
@st.cache_resource(show_spinner="Reading the dataset and checking its files ...", max_entries=8)
def _report(task_name: str, path: str, stamp: float) -> DatasetCheck:
    return tasks.get(task_name).read(path)


# A folder this large is first shown from its listing while every file is checked in the background (the check of
# Kaggle's 35,126 photos takes seconds); decoding a photo at preprocessing reports one that cannot be read anyway.
BACKGROUND_CHECK_FROM = 5_000


class _BackgroundCheck:
    """The full read of one dataset folder, in a thread of its own, shared by every session of the server."""

    def __init__(self, task_name: str, path: str):
        self.report: DatasetCheck | None = None
        self.done = threading.Event()
        threading.Thread(target=self._run, args=(task_name, path), daemon=True, name=f"check {path}").start()

    def _run(self, task_name: str, path: str) -> None:
        try:
            self.report = tasks.get(task_name).read(path)
        finally:
            self.done.set()


@st.cache_resource(show_spinner=False, max_entries=8)
def _background(task_name: str, path: str, stamp: float) -> _BackgroundCheck:
    return _BackgroundCheck(task_name, path)


@st.cache_resource(show_spinner="Listing the dataset ...", max_entries=8)
def _listed(task_name: str, path: str, stamp: float) -> DatasetCheck:
    return tasks.get(task_name).read(path, check_files=False)


@st.cache_resource(show_spinner=False, max_entries=16)
def _large(folder: Path, stamp: float) -> bool:
    """Whether ``folder`` holds enough files to be checked in the background (counted once per change of it)."""
    try:
        with os.scandir(folder) as entries:
            return sum(1 for _ in entries) >= BACKGROUND_CHECK_FROM
    except OSError:
        return False


def dataset_report(task_name: str) -> DatasetCheck:
    """The validated dataset of a task (cached until its data folder changes). A large folder whose reader can skip
    the per-file check is first the listing (``checked`` False) while the check runs: :func:`data_banner` says so
    and reruns the page when it is done."""
    task = tasks.get(task_name)
    location = paths.locate(task.dataset)
    folder = location.path / task.data_folder
    key = (task.name, str(location.path), _mtime(folder))
    if "check_files" in inspect.signature(task.read).parameters and _large(folder, key[2]):
        check = _background(*key)
        if check.done.is_set() and check.report is not None:
            return check.report
        if not check.done.is_set():
            return _listed(*key)
    return _report(*key)


@st.fragment(run_every=1.0)
def _when_checked(task_name: str) -> None:
    """While a large folder is checked: the count of its files, and a rerun of the page once the check is done."""
    task = tasks.get(task_name)
    location = paths.locate(task.dataset)
    check = _background(task.name, str(location.path), _mtime(location.path / task.data_folder))
    if check.done.is_set():
        st.rerun(scope="app")
    st.caption(":material/hourglass_top: Checking every file of the dataset in the background (a few seconds for "
               "tens of thousands); the page shows the listing meanwhile and updates itself when the check is done.")


def data_banner(report: DatasetCheck, task_name: str | None = None) -> None:
    """Say where the data comes from, loudly when it is synthetic, what was skipped, and (``task_name`` given) when
    the files are still being checked."""
    if not report.checked and task_name is not None:
        _when_checked(task_name)
    if report.synthetic:
        st.warning(f"**Synthetic demo data**, not real patients: generated images in Kaggle's layout at `{report.path}`.", icon=":material/science:")
    else:
        st.caption(f"Data: `{report.path}`")
    if report.fatal:
        st.error(f"This dataset cannot be used: {plain(report.fatal)}")
    if report.problems:
        counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in report.problem_counts().items())
        with st.expander(f"{len(report.problems)} file(s) skipped: {counts}"):
            st.dataframe([p.to_dict() for p in report.problems[:500]], hide_index=True)
            if len(report.problems) > 500:
                st.caption(f"... and {len(report.problems) - 500} more.")


def require(report: DatasetCheck) -> None:
    """Stop the page with a clear message when the dataset is unusable."""
    if not report.ok:
        st.info("Add data as the Home page explains, or unset the data variables to use the demo data.")
        st.stop()
