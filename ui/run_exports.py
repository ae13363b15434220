"""What a finished run hands out: its test scores as the CSV the Screening page accepts, its model as a ``.keras`` file,
and the one command line that trains it again (``python -m lib train ... --set ...``)."""

from __future__ import annotations

import streamlit as st

from lib.cli import reproduce_command
from lib.data.scores import predictions_csv
from lib.jobs.folder.store import Run


def run_exports(run: Run, *, key: str) -> None:
    """Two download buttons (the files are read only when clicked) and the command line, for a finished ``run``."""
    run_id = run.summary.run_id
    left, right = st.columns(2)
    try:
        predictions = run.predictions()
    except ValueError:
        predictions = None
    if predictions is not None and "scores" in predictions and "labels" in predictions:
        left.download_button("Test scores (CSV, for the Screening page)", data=lambda: predictions_csv(predictions),
                             file_name=f"{run_id}-test-scores.csv", mime="text/csv", key=f"{key}_scores_csv",
                             icon=":material/download:", width="stretch")
    model = run.model_path()
    if model.is_file():
        right.download_button(f"Trained model (.keras, {model.stat().st_size / 1e6:.1f} MB)",
                              data=lambda: model.read_bytes(), file_name=f"{run_id}.keras",
                              mime="application/octet-stream", key=f"{key}_model", icon=":material/download:",
                              width="stretch")
    try:
        command = reproduce_command(run.config)
    except (KeyError, TypeError):
        return
    st.caption("Train it again from the command line (the same data, settings and seed):")
    st.code(command, language="bash")
