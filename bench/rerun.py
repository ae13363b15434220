"""Benchmark: the CPU cost of one rerun of each page (a click, a drag of the ROC handle) against the runs folder's size.

    python bench/rerun.py [--folders 10 500] [--repeats 7]
    PYTHONPATH=/tmp/before python bench/rerun.py --app-root /tmp/before   # another checkout (before a change)

Writes the small demo data and a roster class (a student, bob, and a lecturer, ada) in a temporary folder, gives bob one
finished tiny run of each task (DR, Lung 2D, Lung 3D), then fills the runs folder up to each ``--folders`` count with
copies of those runs owned by other students (a copy is the same folder with another run id and owner: cheap, and
every copy is a finished run that a lecturer's listing would read). For each count and each page (DR, Lung 2D and
Lung 3D signed in as bob; Class signed in as ada), ``AppTest`` signs in, opens the page and runs it twice (warm
caches), then times ``at.run()`` ``--repeats`` times with ``time.process_time`` (the whole process's CPU: the script
and any thread it starts) and prints the median, in CPU seconds per rerun. A student's rerun should not grow with
other students' folders; the lecturer's Class page lists everyone's runs by design. The last line is one JSON object.

``--app-root`` runs the pages of another checkout (its ``app.py``, ``lib``, ``ui`` and ``tests/helpers``), so that
the same script measures a commit before a change: put that checkout first on ``PYTHONPATH`` too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PAGES = {"DR": ("pages/dr.py", "bob", "Results"), "Lung 2D": ("pages/lung2d.py", "bob", "Results"),
         "Lung 3D": ("pages/lung3d.py", "bob", "Results"), "Class": ("pages/classroom.py", "ada", "Queue")}
PASSWORDS = {"ada": "lecture-notes", "bob": "student-pass"}


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folders", type=int, nargs="+", default=[10, 500], help="run folders in the runs folder")
    parser.add_argument("--repeats", type=int, default=7, help="timed reruns per page (the median is printed)")
    parser.add_argument("--app-root", type=Path, default=HERE, help="the checkout whose pages run (default: this one)")
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=list(PAGES))
    return parser.parse_args()


def _fill(runs: Path, own: list[Path], count: int) -> None:
    """Copies of ``own`` (round robin), each another student's, until ``runs`` holds ``count`` folders."""
    have = len([p for p in runs.iterdir() if p.is_dir()])
    for i in range(have, count):
        source = own[i % len(own)]
        task = json.loads((source / "config.json").read_text())["task"]
        run_id = f"20261205-{i // 3600 % 24:02d}{i // 60 % 60:02d}{i % 60:02d}-{task}-{i:06x}"  # older than bob's
        target = runs / run_id
        shutil.copytree(source, target)
        config = json.loads((target / "config.json").read_text())
        config.update(run_id=run_id, owner=f"user:other{i:03d}", label=f"copy {i}")
        (target / "config.json").write_text(json.dumps(config, indent=1))


def _signed_in(app: Path, name: str, page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(app / "app.py"), default_timeout=300)
    at.run()
    at.text_input(key="_sign_in_name").input(name)
    at.text_input(key="_sign_in_password").input(PASSWORDS[name])
    at.button[0].click().run()
    at.switch_page(page)
    at.run()
    return at


def main() -> int:
    args = _args()
    app = args.app_root.resolve()
    sys.path.insert(0, str(app))
    sys.path.insert(1, str(HERE))
    os.chdir(app)
    import streamlit as st

    from bench import cpu_line
    from lib.access.identity import hash_password
    from lib.access.policy import ClassSettings, save_class
    from lib.tasks import write_demo
    from tests.helpers.runs import make_dr_run, make_lung2d_run, make_lung3d_run
    try:
        from lib.jobs.folder.store import RunStore
    except ImportError:  # a checkout from before lib/jobs (issue 33)
        from lib.runs.store import RunStore

    work = Path(tempfile.mkdtemp(prefix="dlmi-rerun-"))
    demo = work / "data" / "demo"
    write_demo(demo, small=True, seed=0, workers=2)
    save_class(ClassSettings(auth="roster", lecturers=("ada",),
                             users={n: hash_password(p) for n, p in PASSWORDS.items()}), work / "class.json")
    os.environ.update(DLMI_DATA_DIR=str(work / "data"), DLMI_RUNS_DIR=str(work / "runs"),
                      DLMI_CLASS_FILE=str(work / "class.json"), DLMI_CACHE_DIR=str(work / "cache"))
    for name in ("DLMI_DR_DATA", "DLMI_LUNG_DATA"):
        os.environ.pop(name, None)
    store = RunStore(work / "runs")
    bob = "user:bob"
    own = [make_dr_run(store, demo / "eyepacs", owner=bob), make_lung2d_run(store, demo / "lungs", owner=bob),
           make_lung3d_run(store, demo / "lungs", owner=bob)]
    import lib

    print(f"CPU: {cpu_line()}; app: {app} (lib from {Path(lib.__file__).parent}); {args.repeats} timed reruns per "
          "page, median", flush=True)
    figures: dict[str, dict[str, float]] = {}
    for count in sorted(args.folders):
        _fill(work / "runs", own, count)
        for label in args.pages:
            page, user, heading = PAGES[label]
            st.cache_resource.clear()  # a fresh server for each page and count (as tests/pages/conftest.py does)
            st.cache_data.clear()
            at = _signed_in(app, user, page)
            at.run()  # warm: every cache filled
            if at.exception or heading not in [h.value for h in at.header]:  # the page shows bob's run (ada's queue)
                print(f"{label}: {[e.value for e in at.exception][:1]}, headers {[h.value for h in at.header]}",
                      flush=True)
                return 1
            times = []
            for _ in range(args.repeats):
                before = time.process_time()
                at.run()
                times.append(time.process_time() - before)
            figures.setdefault(label, {})[str(count)] = round(statistics.median(times), 4)
            print(f"{count:>4} run folders  {label:<8} {statistics.median(times):.3f} s CPU per rerun "
                  f"(min {min(times):.3f}, max {max(times):.3f})", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"app": str(app), "repeats": args.repeats, "cpu_s_per_rerun": figures, "cpu": cpu_line()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
