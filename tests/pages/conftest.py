from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_server():
    """Each test is a server of its own: what the server remembers across sessions (st.cache_resource: that it has run
    a class, the executor, the sign-in stores) is forgotten before the next test."""
    import streamlit as st

    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture
def app_env(demo_root, monkeypatch, tmp_path):
    """Point the app at the small demo data (as if it had been generated), runs in a temp folder."""
    monkeypatch.setenv("DLMI_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo").symlink_to(demo_root)
    monkeypatch.setenv("DLMI_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("DLMI_DR_DATA", raising=False)
    monkeypatch.delenv("DLMI_LUNG_DATA", raising=False)
    return tmp_path


def open_page(page: str | None = None, timeout: float = 60, *, owner: str | None = None) -> AppTest:
    """Run the app and switch to ``page`` (a path under pages/), as a user clicking the sidebar; ``owner``: the
    browser's token in the URL (a reload of a session that owns runs)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if owner is not None:
        at.query_params["u"] = owner
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
