"""How fast an EyePACS folder of Kaggle's size opens: the file check, the command line and the DR page.

    python bench/kaggle_size.py [--photos 35126] [--out FOLDER]

Writes (once, into ``--out``, default a folder under /tmp) an EyePACS layout with Kaggle's count of photos: tiny
JPEGs, since only the number of files matters to the check. Then prints the seconds of ``read_eyepacs`` (every
photo's markers and header checked), of ``python -m lib inspect dr``, and of the DR page's first render in
Debian's headless chromium from a fresh server (from the request to the histogram's section on screen), then a
second browser's render on the same server (which reuses the first one's check).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu_line, free_port, open_home  # noqa: E402


def write_folder(out: Path, photos: int) -> None:
    """Kaggle's layout with ``photos`` tiny photos (two eyes a patient, levels in EyePACS's proportions)."""
    import numpy as np
    from PIL import Image

    if (out / "trainLabels.csv").exists() and len(os.listdir(out / "train")) == photos:
        return
    (out / "train").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    blobs = []
    for _ in range(16):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (24, 32, 3), np.uint8)).save(buffer, "JPEG")
        blobs.append(buffer.getvalue())
    levels = rng.choice(5, size=photos, p=[0.735, 0.069, 0.151, 0.025, 0.020])
    rows = ["image,level"]
    for i in range(photos):
        name = f"{i // 2 + 1}_{'left' if i % 2 == 0 else 'right'}"
        (out / "train" / f"{name}.jpeg").write_bytes(blobs[i % len(blobs)])
        rows.append(f"{name},{levels[i]}")
    (out / "trainLabels.csv").write_text("\n".join(rows) + "\n")


def page_renders(data: Path) -> tuple[float, float]:
    """Seconds to the DR page's first section on a fresh server, then in a second browser on the same server."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "DLMI_DR_DATA": str(data), "DLMI_DATA_DIR": scratch, "DLMI_RUNS_DIR": f"{scratch}/runs",
               "DLMI_CACHE_DIR": f"{scratch}/cache"}
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "server.py", "--server.headless", "true",
                                   "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_page()
                open_home(page, port)
                times = []
                for _ in range(2):
                    other = browser.new_page()
                    started = time.perf_counter()
                    other.goto(f"http://127.0.0.1:{port}/dr")
                    other.get_by_text("2. Refer or not: balanced sampling").wait_for(timeout=300_000)
                    times.append(time.perf_counter() - started)
                browser.close()
        finally:
            server.terminate()
            server.wait(20)
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=35_126, help="Kaggle's EyePACS training set has 35,126")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "dlmi-kaggle-size-eyepacs")
    args = parser.parse_args()
    print(f"CPU: {cpu_line()}")
    write_folder(args.out, args.photos)
    from lib.data.eyepacs import read_eyepacs

    started = time.perf_counter()
    report = read_eyepacs(args.out)
    print(f"read_eyepacs, every file checked: {time.perf_counter() - started:.2f} s for {report.n_items} photos "
          f"({len(report.problems)} problems)")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lib", "inspect", "dr", str(args.out)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"python -m lib inspect dr: {time.perf_counter() - started:.2f} s (a new process: imports included)")
    first, second = page_renders(args.out)
    print(f"DR page, first render on a fresh server: {first:.2f} s; a second browser: {second:.2f} s")


if __name__ == "__main__":
    main()
