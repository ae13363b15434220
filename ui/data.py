"""Finding, generating and caching the datasets for the pages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import streamlit as st

from lib import config
from lib.data import read_eyepacs, read_lung2d, read_lung3d
from lib.data.report import DatasetReport, is_synthetic


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


_PROGRESS_LINE = re.compile(r"^\[\s*([\d.]+)%\] (.*)$")


@st.cache_resource(show_spinner=False)
def _generate_demo(out: str, small: bool) -> None:
    # A child process (the CLI), not a pool forked or spawned from the server: Streamlit runs page
    # scripts as __main__, which multiprocessing's spawn would re-run in every worker.
    bar = st.progress(0.0, text="Generating the synthetic demo datasets (first start only, under a minute)...")
    command = [sys.executable, "-m", "lib", "demo", "--out", out] + (["--small"] if small else [])
    other: list[str] = []
    with subprocess.Popen(command, cwd=config.PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            match = _PROGRESS_LINE.match(line.strip())
            if match:
                bar.progress(min(1.0, float(match.group(1)) / 100), text=f"Generating demo data: {match.group(2)}")
            else:
                other.append(line.rstrip())
    bar.empty()
    if proc.returncode != 0:
        raise OSError(f"`{' '.join(command)}` failed: {' '.join(other[-5:])}")


def ensure_demo_data() -> None:
    """Generate the demo datasets once per server when a task has no other data to show."""
    locations = [config.locate(kind) for kind in config.TASK_FOLDERS]
    missing = [loc for loc in locations if loc.is_demo and not is_synthetic(loc.path)]
    if missing:
        small = os.environ.get("DLMI_DEMO_SIZE", "") == "small"
        try:
            _generate_demo(str(config.demo_dir()), small)
        except OSError as exc:
            st.error(f"Could not write the demo data to {config.demo_dir()}: {exc}")


@st.cache_data(show_spinner="Reading the dataset...", max_entries=8)
def _report(kind: str, path: str, stamp: float) -> DatasetReport:
    if kind == "dr":
        return read_eyepacs(path)
    if kind == "lung2d":
        return read_lung2d(path)
    return read_lung3d(path)


def dataset_report(kind: str) -> DatasetReport:
    """The validated dataset for "dr", "lung2d" or "lung3d" (cached until the folder changes)."""
    location = config.locate("dr" if kind == "dr" else "lung")
    sub = {"dr": "train", "lung2d": "2d_images", "lung3d": "3d_images"}[kind]
    return _report(kind, str(location.path), _mtime(location.path / sub))


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
