"""Finding, generating and caching the datasets for the pages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import streamlit as st

from lib import paths, tasks
from lib.data.report import DatasetReport, is_synthetic


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
def _report(task_name: str, path: str, stamp: float) -> DatasetReport:
    return tasks.get(task_name).read(path)


def dataset_report(task_name: str) -> DatasetReport:
    """The validated dataset of a task (cached until its data folder changes)."""
    task = tasks.get(task_name)
    location = paths.locate(task.dataset)
    return _report(task.name, str(location.path), _mtime(location.path / task.data_folder))


def data_banner(report: DatasetReport) -> None:
    """Say where the data comes from, loudly when it is synthetic, and what was skipped."""
    if report.synthetic:
        st.warning(f"**Synthetic demo data**, not real patients: generated images in Kaggle's layout at `{report.path}`.", icon=":material/science:")
    else:
        st.caption(f"Data: `{report.path}`")
    if report.fatal:
        st.error(f"This dataset cannot be used: {report.fatal}")
    if report.problems:
        counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in report.problem_counts().items())
        with st.expander(f"{len(report.problems)} file(s) skipped: {counts}"):
            st.dataframe([p.to_dict() for p in report.problems[:500]], hide_index=True)
            if len(report.problems) > 500:
                st.caption(f"... and {len(report.problems) - 500} more.")


def require(report: DatasetReport) -> None:
    """Stop the page with a clear message when the dataset is unusable."""
    if not report.ok:
        st.info("Add data as the Home page explains, or unset the data variables to use the demo data.")
        st.stop()
