"""What watching a running job costs the Streamlit server.

    python bench/watch.py [--browsers 10] [--seconds 30]

Starts the app, starts one long Lung 2D job owned by a bench user, opens N headless chromium tabs on the
Lung 2D page as that user (each one follows the job with live curves), and measures the server process's
CPU over a window, against the same window with no tab open. Then times one epoch of the job with and
without the tabs. Prints ``watch cost X % of a core per browser`` and the job's slowdown.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def _window(proc: psutil.Process, run_dir: Path, seconds: float) -> tuple[float, float]:
    """(server CPU as a share of one core, median seconds of the job's epochs) over ``seconds``."""
    from lib.jobs.folder import files

    done = len(files.read_history(run_dir / files.HISTORY))
    before, start = _cpu_seconds(proc), time.perf_counter()
    time.sleep(seconds)
    share = (_cpu_seconds(proc) - before) / (time.perf_counter() - start)
    history = files.read_history(run_dir / files.HISTORY)
    epochs = history["seconds"].iloc[done:]
    return share, float(epochs.median()) if len(epochs) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--browsers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from bench import cpu_line, free_port
    from lib.tasks import write_demo
    from lib.jobs.folder.store import RunStore
    from lib.tasks import config_for
    from lib.jobs.executor import start_run
    from lib.jobs.executor import LocalProcessExecutor

    print(f"CPU: {cpu_line()}")
    with tempfile.TemporaryDirectory() as data:
        data = Path(data)
        write_demo(data / "demo", ["lungs"])  # full size: epochs of a few seconds, as in class
        env = {**os.environ, "DLMI_DATA_DIR": str(data), "DLMI_RUNS_DIR": str(data / "runs"), "DLMI_ABANDON_AFTER_S": "3600"}
        os.environ.update(env)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "server.py", "--server.headless", "true",
                                   "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        owner = secrets.token_hex(16)
        config = config_for("lung2d", preset="quick", data=str(data / "demo" / "lungs"), epochs=1000)
        run_dir = start_run(RunStore(data / "runs"), {**config, "watch": True}, owner=owner, executor=LocalProcessExecutor())
        proc = psutil.Process(server.pid)
        try:
            time.sleep(15)  # the worker starts, loads the slices, compiles
            idle_share, headless_epoch = _window(proc, run_dir, args.seconds)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run"])
                context = browser.new_context(viewport={"width": 1200, "height": 900})
                pages = []
                for _ in range(args.browsers):
                    page = context.new_page()
                    page.goto(f"http://127.0.0.1:{port}/lung2d?u={owner}")
                    pages.append(page)
                for page in pages:
                    try:
                        page.locator('[data-testid="stProgress"]').filter(has_text="Epoch").wait_for(timeout=180_000)
                    except Exception:
                        page.screenshot(path="/tmp/watch_debug.png")
                        raise
                for page in pages:  # every page has finished its first full run (only the live panel reruns now)
                    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=300_000)
                time.sleep(10)
                if os.environ.get("WATCH_PROFILE"):
                    subprocess.run([str(Path(sys.executable).parent / "py-spy"), "record", "-d", "15", "-p", str(server.pid),
                                    "-o", os.environ["WATCH_PROFILE"], "-f", "raw"], check=False)
                watched_share, watched_epoch = _window(proc, run_dir, args.seconds)
                browser.close()
        finally:
            (run_dir / "STOP").touch()
            server.terminate()
            server.wait(20)
            time.sleep(3)
    per_browser = max(0.0, watched_share - idle_share) / args.browsers
    print(f"server CPU with no browser: {idle_share:.1%} of a core; with {args.browsers}: {watched_share:.1%}")
    print(f"watch cost {per_browser:.2%} of a core per browser ({per_browser * args.browsers:.1%} for {args.browsers})")
    print(f"epoch of the job: {headless_epoch:.2f} s unwatched, {watched_epoch:.2f} s watched "
          f"({watched_epoch / headless_epoch - 1:+.0%})")


if __name__ == "__main__":
    main()
