"""Cached DR helpers for the pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lib.data.eyepacs import LEVELS
from lib.data.report import DatasetReport
from lib.preprocess.fundus import UnreadablePhotoError, load_thumbnail


@st.cache_data(show_spinner=False, max_entries=2048)
def _thumbnail(path: str) -> np.ndarray | None:
    try:
        return load_thumbnail(path, height=200)
    except UnreadablePhotoError:
        return None


def thumbnails_by_level(report: DatasetReport, per_level: int, *, seed: int = 0) -> dict[int, list[tuple[np.ndarray, str]]]:
    """Up to ``per_level`` (thumbnail, caption) pairs per level, the same photos for the same seed."""
    rng = np.random.default_rng(seed)
    out: dict[int, list[tuple[np.ndarray, str]]] = {}
    for level in LEVELS:
        photos = [p for p in report.items if p.level == level]
        chosen = rng.permutation(len(photos))[:per_level]
        shown = []
        for i in sorted(chosen):
            thumb = _thumbnail(str(photos[i].path))
            if thumb is not None:
                shown.append((thumb, photos[i].image))
        out[level] = shown
    return out
