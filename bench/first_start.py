"""How long from starting the app to Home on screen, on a fresh data folder (no demo data yet).

    python bench/first_start.py [--runs 3]

Starts ``streamlit run app.py`` the way scripts/app.sh does (after .venv exists), opens Home in Debian's
headless chromium and prints the seconds until its title shows, then the seconds until the Lung 2D page
(which generates its demo data on first use) shows its first section.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu_line, free_port, open_home  # noqa: E402


def once(browser) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        env = {**os.environ, "DLMI_DATA_DIR": data, "DLMI_RUNS_DIR": str(Path(data) / "runs")}
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "server.py", "--server.headless", "true",
                                   "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            page = browser.new_page()
            open_home(page, port)
            home = time.perf_counter() - started
            page.goto(f"http://127.0.0.1:{port}/lung2d")
            page.get_by_text("1. CT slices and their lung masks").wait_for(timeout=300_000)
            lung2d = time.perf_counter() - started - home
            page.close()
        finally:
            server.terminate()
            server.wait(20)
    return home, lung2d


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"CPU: {cpu_line()}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        for run in range(1, args.runs + 1):
            home, lung2d = once(browser)
            print(f"run {run}: Home shown {home:.1f} s after start; then Lung 2D (generating its demo data) {lung2d:.1f} s")
        browser.close()


if __name__ == "__main__":
    main()
