"""bench/gpu.py must not rot between the rare sessions that have a GPU: its --small run works on this CPU."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_gpu_bench_trains_the_real_task_code_and_prints_its_table(tmp_path):
    env = {**os.environ, "DLMI_RUNS_DIR": str(tmp_path / "unused-runs")}
    done = subprocess.run([sys.executable, "bench/gpu.py", "--small", "--tasks", "lung2d", "--backends", "tensorflow",
                           "--jobs", "2", "--epochs", "2", "--work", str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert any(line.startswith("lung2d  tensorflow 2 job(s): 2/2 done") for line in lines), done.stdout
    summary = json.loads(lines[-1])
    rows = {row["jobs"]: row for row in summary["results"]}
    # one row, two jobs at once (a row of one job was a third training process: 15 s of a 2-core CI for no new check)
    assert set(rows) == {2} and all(row["done"] == row["jobs"] for row in rows.values())
    for row in rows.values():
        assert row["first_epoch_s"] > 0 and row["steady_epoch_s"] > 0 and row["images_per_s_per_job"] > 0
    assert rows[2]["images_per_s_total"] > rows[2]["images_per_s_per_job"]  # two jobs' rates add up
    assert rows[2]["peak_device_mb"] is None  # no accelerator here: nothing is made up
    runs = sorted((tmp_path / "runs").glob("lung2d-tensorflow-2/*/status.json"))
    assert len(runs) == 2 and all(json.loads(p.read_text())["state"] == "done" for p in runs)
