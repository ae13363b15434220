"""A real app server and a real headless chromium (Debian's, never a downloaded browser)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from lib.access.identity import hash_password
from lib.access.policy import ClassSettings, save_class
from lib.jobs.folder.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_data(tmp_path_factory, demo_root):
    """Data dir (demo data), runs dir, cache dir for the server."""
    root = tmp_path_factory.mktemp("browser-app")
    (root / "data").mkdir()
    (root / "data" / "demo").symlink_to(demo_root)
    (root / "runs").mkdir()
    return root


def class_folder(tmp_path_factory, demo_root, name: str, passwords: dict[str, str],
                 lecturers: tuple[str, ...] = ("ada",)) -> Path:
    """A folder for an app server that runs a class: the demo data, and a roster class file (``class.json``) with
    ``passwords`` ({name: password}, hashed) and ``lecturers``; serve it with DLMI_CLASS_FILE=<folder>/class.json."""
    root = tmp_path_factory.mktemp(name)
    (root / "data").mkdir()
    (root / "data" / "demo").symlink_to(demo_root)
    save_class(ClassSettings(auth="roster", lecturers=lecturers,
                             users={user: hash_password(password) for user, password in passwords.items()}),
               root / "class.json")
    return root


@pytest.fixture(scope="session")
def run_store(app_data) -> RunStore:
    return RunStore(app_data / "runs")


@contextmanager
def serve(app_data: Path, *, port: int | None = None, args: tuple[str, ...] = (), **env_vars: str | None):
    """A real app server on the data of ``app_data`` (with more environment, e.g. a class file, and more ``streamlit
    run`` options), as ``scripts/app.sh`` serves it (``server.py``); yields its URL. When it stops, its log must hold no
    Streamlit warning and no traceback: the test fails otherwise."""
    port = port or _free_port()
    env = {**os.environ, "DLMI_DATA_DIR": str(app_data / "data"), "DLMI_RUNS_DIR": str(app_data / "runs"),
           "DLMI_CACHE_DIR": str(app_data / "cache"), "PYTHONPATH": str(ROOT),
           # as scripts/app.sh starts it: uvicorn believes X-Forwarded-For only from DLMI_TRUSTED_PROXIES (none)
           "FORWARDED_ALLOW_IPS": env_vars.get("DLMI_TRUSTED_PROXIES") or os.environ.get("DLMI_TRUSTED_PROXIES", ""),
           **env_vars}
    env = {k: v for k, v in env.items() if v is not None}  # a variable given as None is left out
    log_path = app_data / f"server-{port}.log"
    log = open(log_path, "wb")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "server.py"), "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1",
                               "--browser.gatherUsageStats", "false", *args], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail(f"the app did not start: {(app_data / f'server-{port}.log').read_text()[-2000:]}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    unclean = log_problems(log_path.read_text(errors="replace"))
    assert not unclean, f"the server logged {len(unclean)} warning(s) or traceback(s):\n" + "\n".join(unclean[:5])


# What a clean server log may still hold: Streamlit's own start-up lines, and the one line Streamlit writes when an
# identity provider sends the browser back to its callback after signing out (its own logout flow, not a fault).
_HARMLESS = ("You can now view your Streamlit app", "Local URL:", "Network URL:", "External URL:", "Stopping...",
             "Missing provider for OAuth callback",
             # Streamlit's own note (INFO) that it dropped a fragment's timed rerun that reached it just after a full
             # rerun had replaced the fragment: its designed answer to that race, nothing lost (app_session.py)
             "it might have been removed during a preceding full-app rerun")
_STREAMLIT_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ")  # Streamlit's logger: time, then message


def log_problems(text: str) -> list[str]:
    """The lines of a server log that say something went wrong: every message of Streamlit's logger (warnings and
    errors: it logs nothing else while serving), Python warnings, and tracebacks."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if any(h in line for h in _HARMLESS):
            continue
        if line.startswith("Traceback (most recent call last)"):
            found.append("\n".join(lines[i:i + 12]))
        elif _STREAMLIT_LOG.match(line) or "Warning: " in line:
            found.append(line)
    return found


@pytest.fixture(scope="session")
def app_url(app_data):
    with serve(app_data) as url:
        yield url


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    target = OUTPUT / f"{name}.png"
    page.screenshot(path=str(target))
    return target


def wait_idle(page, timeout: float = 90_000) -> None:
    """Wait until the app's script has finished running (Streamlit's 'running' indicator is gone)."""
    page.wait_for_timeout(400)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=timeout)
    page.wait_for_timeout(200)


def swipe_up(page, x: float, y: float, *, distance: float = 250, steps: int = 10) -> None:
    """A finger's swipe up from (x, y) on a touch screen (Chrome's touch events, as a phone sends them), then wait for
    whatever it caused to settle."""
    cdp = page.context.new_cdp_session(page)
    touch = lambda kind, py: cdp.send("Input.dispatchTouchEvent", {
        "type": kind, "touchPoints": [] if kind == "touchEnd" else [{"x": x, "y": py}]})
    touch("touchStart", y)
    for k in range(1, steps + 1):
        touch("touchMove", y - distance / steps * k)
        page.wait_for_timeout(16)
    touch("touchEnd", y - distance)
    page.wait_for_timeout(800)
    wait_idle(page)
