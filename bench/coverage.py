"""Benchmark: how often the bootstrap AUC interval covers the true AUC, and how wide it is, against DeLong's.

    python bench/coverage.py [--reps 400] [--samples 1000]

For each test-set size n (80 and 400, balanced) and true AUC (0.85 and 0.95), draws ``reps`` test sets from two unit
normals whose true AUC is known (binormal: AUC = Phi(shift / sqrt 2)), and for each computes the 95 % interval of
``lib.metrics.uncertainty.Bootstrap`` (``samples`` stratified resamples) and DeLong's interval (written independently,
``tests/helpers/delong.py``). Prints, per case, the share of test sets whose interval covers the true AUC (0.95 is
the goal) and the mean width of each interval; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu_line  # noqa: E402
from lib.metrics.uncertainty import Bootstrap  # noqa: E402
from tests.helpers.delong import binormal_test_set, delong_interval  # noqa: E402


def one_case(n: int, auc: float, reps: int, samples: int) -> dict:
    covered = {"bootstrap": 0, "delong": 0}
    widths = {"bootstrap": [], "delong": []}
    for rep in range(reps):
        scores, labels = binormal_test_set(auc, n, np.random.default_rng([n, int(auc * 1000), rep]))
        boot = Bootstrap(scores, labels, samples=samples, seed=rep).auc()
        _, low, high = delong_interval(scores, labels)
        for name, (lo, hi) in (("bootstrap", (boot.low, boot.high)), ("delong", (low, high))):
            covered[name] += lo <= auc <= hi
            widths[name].append(hi - lo)
    return {"n": n, "auc": auc, "reps": reps,
            **{f"{name}_coverage": round(covered[name] / reps, 3) for name in covered},
            **{f"{name}_width": round(float(np.mean(widths[name])), 4) for name in widths}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=400, help="simulated test sets per case")
    parser.add_argument("--samples", type=int, default=1000, help="bootstrap resamples per test set (the app's 1,000)")
    parser.add_argument("--n", type=int, nargs="+", default=[80, 400])
    parser.add_argument("--auc", type=float, nargs="+", default=[0.85, 0.95])
    args = parser.parse_args()
    print(f"CPU: {cpu_line()}")
    print(f"{args.reps} simulated balanced binormal test sets per case, {args.samples} bootstrap resamples each")
    print(f"{'n':>5} {'AUC':>5}  {'bootstrap covers':>16} {'width':>7}  {'DeLong covers':>13} {'width':>7}")
    rows = []
    start = time.perf_counter()
    for n in args.n:
        for auc in args.auc:
            row = one_case(n, auc, args.reps, args.samples)
            rows.append(row)
            print(f"{n:>5} {auc:>5.2f}  {row['bootstrap_coverage']:>16.1%} {row['bootstrap_width']:>7.3f}  "
                  f"{row['delong_coverage']:>13.1%} {row['delong_width']:>7.3f}", flush=True)
    print(f"({time.perf_counter() - start:.0f} s)")
    print(json.dumps({"cases": rows}))


if __name__ == "__main__":
    main()
