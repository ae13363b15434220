"""Shared fixtures: small demo datasets generated once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lib.tasks import write_demo


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory) -> Path:
    """A folder holding small demo ``eyepacs/`` and ``lungs/`` (read-only for tests: copy before changing)."""
    root = tmp_path_factory.mktemp("demo")
    write_demo(root, small=True, seed=0, workers=2)
    return root


@pytest.fixture
def eyepacs_copy(demo_root, tmp_path) -> Path:
    """A writable copy of the small EyePACS demo folder."""
    return Path(shutil.copytree(demo_root / "eyepacs", tmp_path / "eyepacs"))


@pytest.fixture
def lungs_copy(demo_root, tmp_path) -> Path:
    """A writable copy of the small lung demo folder."""
    return Path(shutil.copytree(demo_root / "lungs", tmp_path / "lungs"))


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    """A runs folder for one test, with its own preprocessing cache."""
    monkeypatch.setenv("DLMI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "runs"
