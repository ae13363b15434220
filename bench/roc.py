"""Benchmark: recomputing every operating-point figure for a new threshold, server side.

    python bench/roc.py [--n 10000]

Times ``operating_point`` (threshold, confusion matrix, sensitivity, specificity, PPV, NPV, and PPV /
NPV at a prevalence) over many thresholds on ``n`` test scores; the goal is under 10 ms each.
Also times building the ROC curve and the component's payload once. Last line: ``per threshold X ms``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.metrics.roc import curve_payload, operating_point, roc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, args.n)
    scores = np.clip(0.4 + 0.25 * labels + rng.normal(0, 0.2, args.n), 0, 1)
    start = time.perf_counter()
    curve = roc(scores, labels)
    payload = curve_payload(curve, threshold=0.5, prevalence=0.2)
    once = time.perf_counter() - start
    timings = []
    for threshold in np.linspace(0.01, 0.99, 300):
        start = time.perf_counter()
        operating_point(scores, labels, float(threshold), prevalence=0.2)
        timings.append(time.perf_counter() - start)
    median, worst = statistics.median(timings) * 1000, max(timings) * 1000
    print(f"{args.n} scores: ROC curve + payload ({len(payload['thr'])} vertices) once: {once * 1000:.1f} ms")
    print(f"operating point for a new threshold: median {median:.3f} ms, worst {worst:.3f} ms over 300 thresholds")
    print(f"per threshold {median:.3f} ms")


if __name__ == "__main__":
    main()
