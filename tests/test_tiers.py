"""The tiers of the suite (tests/conftest.py): where a test lives decides its tier, and the fast run holds no slow one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import _PROCESS_FILES, tier_of

ROOT = Path(__file__).resolve().parents[1]


def test_a_file_is_tiered_by_where_it_lives():
    assert tier_of(ROOT / "tests/faults/test_jobs.py") == "process"
    assert tier_of(ROOT / "tests/browser/test_report.py") == "browser"
    assert tier_of(ROOT / "tests/deploy/test_nginx.py") == "browser"
    assert tier_of(ROOT / "tests/bench/test_gpu_bench.py") == "bench"
    assert tier_of(ROOT / "tests/pages/test_dr.py") == "apptest"
    assert tier_of(ROOT / "tests/pages/test_watching.py") == "process"  # listed: it starts workers
    assert tier_of(ROOT / "tests/lib/metrics/test_roc.py") == "unit"
    assert tier_of(ROOT / "lib/metrics/roc.py") == "unit"  # its doctests
    assert all((ROOT / f).is_file() for f in _PROCESS_FILES), "a listed file was moved or renamed"


def test_the_fast_run_collects_no_process_browser_or_bench_test(processes):
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-m", "unit or apptest"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    collected = [line for line in done.stdout.splitlines() if "::" in line]
    assert len(collected) > 300
    slow = [n for n in collected if n.startswith(("tests/faults/", "tests/browser/", "tests/bench/", "tests/deploy/test_nginx"))
            or n.split("::")[0] in _PROCESS_FILES
            or "test_write_demo_is_deterministic" in n]  # one test moved by the `processes` fixture
    assert slow == []
