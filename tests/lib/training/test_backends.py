"""Every task trains on JAX too (the GPU servers run Keras on JAX; TensorFlow need not be there at all)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# requirements.txt installs JAX wherever it can run (Python 3.11+)
pytest.importorskip("jax", reason="JAX is not installed: requirements.txt installs it on Python 3.11 and newer")

SCRIPT = """
import json, sys


class NoTensorFlow:  # as on a GPU server that has Keras and JAX but no TensorFlow
    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ModuleNotFoundError("No module named 'tensorflow' (blocked by the test)", name=name)
        return None


sys.meta_path.insert(0, NoTensorFlow())
from pathlib import Path
from lib.jobs.folder.store import RunStore
from lib.jobs.job import run_job
from tests.lib.training.conftest import tiny_config

demo_root, runs = Path(sys.argv[1]), Path(sys.argv[2])
store = RunStore(runs)
for task in sys.argv[3:]:  # one process for every task: Keras and JAX are imported once
    run_dir = store.create(tiny_config(task, demo_root), owner="alice")
    status = run_job(run_dir, echo=lambda line: None, poll_s=0.05)
    run = store.load(run_dir.name)
    print(json.dumps({"task": task, "state": status["state"], "error": status.get("error"),
                      "versions": run.status.get("versions"), "metrics": run.metrics,
                      "tensorflow_imported": any(m.startswith("tensorflow") for m in sys.modules),
                      "model": (run_dir / "model.keras").is_file(),
                      "predictions": (run_dir / "predictions.npz").is_file()}), flush=True)
"""

TASKS = {"dr": "auc", "lung2d": "mean_slice_iou", "lung3d": "pooled_iou"}


def test_each_task_trains_on_jax_where_tensorflow_is_not_installed(demo_root, tmp_path):
    # one test, one process for the three tasks (a module fixture would be run by each xdist worker that took a test)
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT), "DLMI_CACHE_DIR": str(tmp_path / "cache"),
           "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(demo_root), str(tmp_path / "runs"), *TASKS], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    results = {r["task"]: r for r in map(json.loads, filter(lambda line: line.startswith("{"), done.stdout.splitlines()))}
    assert done.returncode == 0 and set(results) == set(TASKS), done.stderr[-3000:]
    for task, metric in TASKS.items():
        result = results[task]
        assert result["state"] == "done", (task, result["error"])
        assert result["versions"]["backend"] == "jax" and result["versions"]["jax"], task
        assert result["model"] and result["predictions"], task
        assert metric in result["metrics"], task
        assert not result["tensorflow_imported"], f"a JAX job of {task} imported TensorFlow"
