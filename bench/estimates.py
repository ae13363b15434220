"""Benchmark: are the expected durations said before Start right when runs share the server?

    python bench/estimates.py [--task lung2d] [--preset quick] [--set KEY=VALUE ...] [--small]

On a fresh demo in a temporary folder, with the local executor and two training slots (DLMI_MAX_JOBS=2), as a
class server runs them, after a run of other settings has built the preprocessing cache:

1. one run alone: it leaves a run with these settings and a measured speed (trained alone);
2. two runs started together, each estimated first as the Start button does (``ui.estimate.expected``: the earlier
   run's time, slowed by ``lib.jobs.speed.sharing`` for 2 jobs at once; nothing measured beside another job yet, so
   the rule of thumb);
3. two more together, now with the sharing measured in round 2.

Prints, for each run, the estimate, the run's own time (started to ended in its status) and the error, then one JSON
line with ``errors`` (estimate / actual - 1, rounds 2 and 3) and ``worst``. The goal is within 30 %. The first line
names the CPU; say what else ran.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu_line  # noqa: E402


def _wait(store_root: Path, run_dirs: list[Path], timeout_s: float) -> list[dict]:
    from lib.jobs.folder.protocol import FINAL_STATES, read_status

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        statuses = [read_status(d) for d in run_dirs]
        if all(s.get("state") in FINAL_STATES for s in statuses):
            return statuses
        time.sleep(0.5)
    raise SystemExit(f"runs did not finish within {timeout_s:.0f} s: {[read_status(d).get('state') for d in run_dirs]}")


def _estimate(store, config: dict, task, jobs: int):
    """What the Start button says for one of ``jobs`` runs starting together (ui.estimate.expected, without Streamlit)."""
    from lib.jobs import speed
    from lib.jobs.folder import files

    measured = speed.read_measured(store.root)
    runs, _ = store.list(lecturer=True)
    found = speed.estimate(config, task, measured, ((r.config, r.status) for r in runs if r.task == task.name),
                           host=files.host())
    return speed.shared(found, speed.sharing(jobs, measured, host=files.host()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="lung2d")
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--small", action="store_true", help="the tests' tiny demo and one epoch (a smoke run)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args(argv)
    print(cpu_line(), flush=True)

    os.environ["DLMI_MAX_JOBS"] = "2"
    from lib import tasks
    from lib.jobs.executor import LocalProcessExecutor, start_run
    from lib.jobs.folder.store import RunStore

    task = tasks.get(args.task)
    with tempfile.TemporaryDirectory(prefix="dlmi-estimates-") as tmp:
        work = Path(tmp)
        os.environ["DLMI_CACHE_DIR"] = str(work / "cache")
        tasks.write_demo(work / "data", [task.dataset.key], small=args.small, seed=0)
        overrides = dict(item.split("=", 1) for item in args.set)  # checked by config_for, as the CLI's --set
        if args.small:
            overrides = {"epochs": 1, **overrides}
        config = tasks.config_for(args.task, preset=args.preset, data=str(work / "data" / task.dataset.key),
                                   **overrides)
        store, executor = RunStore(work / "runs"), LocalProcessExecutor()
        # warm the preprocessing cache (as on a class server, where the first run on the data built it) with a run of
        # other settings, so that it is not an earlier run "with these settings"
        warm = {**config, "epochs": int(config["epochs"]) + 1, "steps_per_epoch": 1}
        _wait(store.root, [start_run(store, warm, task, owner="user:bench", executor=executor)], args.timeout)
        rows, errors = [], []
        for round_, jobs in ((1, 1), (2, 2), (3, 2)):
            said = _estimate(store, config, task, jobs)
            dirs = [start_run(store, {**config, "seed": 10 * round_ + i}, task, owner="user:bench", executor=executor)
                    for i in range(jobs)]
            for status in _wait(store.root, dirs, args.timeout):
                took = float(status.get("ended", 0)) - float(status.get("started", 0))
                error = None if said.seconds is None or took <= 0 else said.seconds / took - 1
                if round_ > 1 and error is not None:
                    errors.append(round(error, 3))
                rows.append({"round": round_, "at_once": jobs, "state": status.get("state"),
                             "estimate_s": None if said.seconds is None else round(said.seconds, 1),
                             "took_s": round(took, 1), "error": None if error is None else round(error, 3),
                             "basis": said.basis})
                print(f"round {round_} ({jobs} at once): {status.get('state')}, estimated "
                      f"{'-' if said.seconds is None else f'{said.seconds:.0f} s'}, took {took:.0f} s"
                      + ("" if error is None else f", error {error:+.0%}") + f"  [{said.basis}]", flush=True)
    worst = max((abs(e) for e in errors), default=None)
    print(f"worst error of the shared runs: {'-' if worst is None else f'{worst:.0%}'} (goal: within 30 %)")
    print(json.dumps({"task": args.task, "preset": args.preset, "small": args.small, "runs": rows, "errors": errors,
                      "worst": worst}))
    return 0 if worst is not None and worst <= 0.30 else 1


if __name__ == "__main__":
    raise SystemExit(main())
