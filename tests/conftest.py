"""Shared fixtures: small demo datasets generated once per test session."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session", autouse=True)
def _scan_installed_components_once():
    """Each AppTest starts a Streamlit runtime, and each start reads the metadata of every installed package looking
    for Streamlit components (about 0.35 s on a 2-core machine: a third of a short page test). The installed packages
    do not change during a session, so the first scan's answer serves every later runtime (a copy of its list)."""
    from streamlit.components.v2 import manifest_scanner  # order: after the test modules import streamlit anyway

    scan = manifest_scanner.scan_component_manifests
    found: list = []

    def scan_once(*args, **kwargs):
        if not found:
            found.append(scan(*args, **kwargs))
        return list(found[0])

    manifest_scanner.scan_component_manifests = scan_once
    yield
    manifest_scanner.scan_component_manifests = scan


# --- a real browser ----------------------------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: scripts/test.sh should have installed Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); browser tests skipped")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


# --- tiers ------------------------------------------------------------------------------------------------------------
# Every test gets exactly one tier marker, here, by where it lives (never by hand on each test):
#   unit     pure functions and in-process work (at most a tiny in-process epoch): no process, no server, no browser
#   apptest  Streamlit's AppTest running the pages in this process
#   process  worker processes, signals, Ray, JAX in subprocesses, the command line, a real app server over HTTP
#   browser  a real app server driven by a real chromium (and nginx in front of it)
#   bench    the benchmark scripts' small runs
# `bash scripts/test.sh --fast` runs unit and apptest. A unit or apptest test that starts a process fails, saying so;
# one such test in a fast file asks for the `processes` fixture, a whole file is listed in _PROCESS_FILES.
TIERS = ("unit", "apptest", "process", "browser", "bench")
_BY_FOLDER = {"tests/browser": "browser", "tests/bench": "bench", "tests/faults": "process", "tests/pages": "apptest",
              "tests/deploy/test_nginx.py": "browser"}
_PROCESS_FILES = {
    "tests/test_toy_task.py", "tests/test_server.py", "tests/lib/test_cli.py", "tests/lib/test_cli_screen.py",
    "tests/lib/test_report.py",
    "tests/lib/access/test_roster.py", "tests/lib/data/test_download.py",
    "tests/lib/training/test_backends.py", "tests/lib/training/test_cli_train.py", "tests/lib/jobs/test_job.py",
    "tests/lib/training/test_learning_rate_lesson.py", "tests/lib/jobs/test_ray_executor.py",
    "tests/lib/jobs/test_ray_head_lost.py", "tests/lib/jobs/test_executor.py",
    "tests/pages/test_learning_rate_lesson.py", "tests/pages/test_gradcam_page.py", "tests/pages/test_watching.py",
}
_ROOT = Path(__file__).resolve().parents[1]


def tier_of(path: Path) -> str:
    """The tier of a test file (or a module's doctests) by where it lives."""
    relative = path.resolve().relative_to(_ROOT).as_posix()
    if relative in _PROCESS_FILES:
        return "process"
    for prefix, tier in _BY_FOLDER.items():
        if relative == prefix or relative.startswith(prefix + "/"):
            return tier
    return "unit"


@pytest.fixture
def processes():
    """Ask for this fixture in a test that starts a process where its file is otherwise in a fast tier: the test moves
    to the process tier (the one way to move a single test)."""


def pytest_collection_modifyitems(config, items):
    for item in items:
        declared = [t for t in TIERS if item.get_closest_marker(t) is not None and t != "browser"]
        tier = tier_of(Path(str(item.fspath)))
        if "processes" in getattr(item, "fixturenames", ()) and tier in ("unit", "apptest"):
            tier = "process"
        if declared and declared != [tier]:
            raise pytest.UsageError(f"{item.nodeid} is marked {declared} by hand; tiers are set in tests/conftest.py")
        item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(autouse=True)
def _no_process_in_fast_tiers(request, monkeypatch):
    """The fast tiers start no process: a test there that does fails at once with where to move it."""
    if request.node.get_closest_marker("unit") is None and request.node.get_closest_marker("apptest") is None:
        yield
        return
    import multiprocessing.process
    import subprocess

    def refuse(*args, **kwargs):
        raise AssertionError(f"{request.node.nodeid} starts a process, so it is not a unit or AppTest test: add its file "
                             "to _PROCESS_FILES in tests/conftest.py, or have the test ask for the `processes` fixture")

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    yield
