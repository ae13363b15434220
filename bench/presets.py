"""Benchmark: each quick preset headless from a fresh demo, against the goals of a lesson.

    python bench/presets.py [--tasks dr lung2d lung3d] [--data DIR | --real-like] [--set KEY=VALUE ...] [--isa AVX2]

For each task: writes that task's demo data into a fresh temporary folder (not timed), then runs
``python -m lib train TASK --preset quick`` in a child process with a cold preprocessing cache and
times it from start to exit. Prints per task the wall time, the epochs and optimisation steps trained,
the test metric and where the time went (the run's own timing in status.json), then whether each goal
is met. ``--data`` uses a dataset root (with eyepacs/ and lungs/) instead of the demo, e.g. real data;
``--real-like`` writes the small lung set of ``bench/real_like.py`` (49 slices of two patients, four
small volumes, scanner padding) and checks the lung goals for real CT (2D IoU 0.80, 3D IoU 0.70);
``--isa AVX2`` caps oneDNN's instruction set (ONEDNN_MAX_CPU_ISA) to mimic a CPU without AVX-512.
The first lines name the CPU: timings mean nothing without it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu_line  # noqa: E402
from lib import tasks  # noqa: E402

# task: (wall-time limit in s, headline metric, lowest, highest), as each task declares its quick preset's goal
GOALS = {t.name: (t.quick_goal[0], t.headline, t.quick_goal[1], t.quick_goal[2]) for t in tasks.all_tasks() if t.quick_goal}
# the lung tasks on bench/real_like.py's small set of real-like CT: the goals for real CT (the same time, lower IoU)
REAL_GOALS = {name: (limit, metric, {"mean_slice_iou": 0.80, "pooled_iou": 0.70}[metric], high)
              for name, (limit, metric, low, high) in GOALS.items() if tasks.get(name).dataset.key == "lungs"}


def run_task(task: str, data_root: Path, work: Path, overrides: list[str], env: dict) -> dict:
    data = data_root / tasks.get(task).dataset.key
    command = [sys.executable, "-m", "lib", "train", task, "--data", str(data), "--preset", "quick",
               "--runs-dir", str(work / "runs"), "--label", "bench"]
    for item in overrides:
        command += ["--set", item]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        print(done.stdout[-2000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
        return {"task": task, "wall_s": wall, "state": "failed"}
    summary = json.loads(lines[-1])
    status = json.loads((Path(summary["run_dir"]) / "status.json").read_text())
    return {"task": task, "wall_s": wall, **summary, "timing": status.get("timing", {}),
            "notes": status.get("notes", [])}


def _timing_line(timing: dict) -> str:
    parts = []
    for name, value in timing.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} {v}" + ("" if k == "steps" else " s") for k, v in value.items())
            parts.append(f"({inner})")
        else:
            parts.append(f"{name} {value} s")
    return "; ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(GOALS), choices=list(GOALS))
    parser.add_argument("--data", type=Path, help="a dataset root with eyepacs/ and lungs/ (default: a fresh demo)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a quick setting")
    parser.add_argument("--real-like", action="store_true", help="the lung tasks on bench/real_like.py's small set")
    parser.add_argument("--isa", help="cap oneDNN's instruction set, e.g. AVX2")
    args = parser.parse_args()
    goals = GOALS
    if args.real_like:
        goals = REAL_GOALS
        args.tasks = [t for t in args.tasks if t in REAL_GOALS]

    print(f"CPU: {cpu_line()}")
    print(f"Python {platform.python_version()}; settings: quick preset" + (f" with {' '.join(args.set)}" if args.set else "")
          + (f"; ONEDNN_MAX_CPU_ISA={args.isa}" if args.isa else ""), flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-presets-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "DLMI_CACHE_DIR": str(work / "cache"), "TF_CPP_MIN_LOG_LEVEL": "2"}
        if args.isa:
            env["ONEDNN_MAX_CPU_ISA"] = args.isa
        if args.real_like:
            from bench.real_like import write_real_like

            args.data = write_real_like(work / "real-like").parent
        for task in args.tasks:
            root = args.data
            if root is None:
                root = work / "demo"
                key = tasks.get(task).dataset.key
                if not (root / key).is_dir():
                    subprocess.run([sys.executable, "-m", "lib", "demo", key, "--out", str(root)],
                                   cwd=ROOT, env=env, check=True, capture_output=True)
            result = run_task(task, root, work, args.set, env)
            results.append(result)
            limit, metric, low, high = goals[task]
            value = result.get(metric)
            steps = result.get("timing", {}).get("training, of which", {}).get("steps")
            shown = f"{value:.3f}" if isinstance(value, (int, float)) else "n/a"
            print(f"{task}: wall {result['wall_s']:.1f} s, state {result.get('state')}, {steps} steps, "
                  f"{metric} {shown}", flush=True)
            print(f"  where the time went: {_timing_line(result.get('timing', {}))}")
            for note in result.get("notes", []):
                print(f"  note: {note}")
    print("goals:")
    met_all = True
    for result in results:
        limit, metric, low, high = goals[result["task"]]
        value = result.get(metric)
        ok_time = result["wall_s"] < limit
        ok_metric = isinstance(value, (int, float)) and low <= value <= high
        met_all &= ok_time and ok_metric
        shown = f"{value:.3f}" if isinstance(value, (int, float)) else "n/a"
        print(f"  {result['task']}: wall {result['wall_s']:.0f} s < {limit:.0f} s {'met' if ok_time else 'FAIL'}; "
              f"{metric} {shown} in [{low}, {high}] {'met' if ok_metric else 'FAIL'}")
    print("all goals met" if met_all else "some goals missed")
    return 0 if met_all else 1


if __name__ == "__main__":
    sys.exit(main())
