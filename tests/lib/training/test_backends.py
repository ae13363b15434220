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

task, demo_root, runs = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
store = RunStore(runs)
run_dir = store.create(tiny_config(task, demo_root), owner="alice")
status = run_job(run_dir, echo=lambda line: None, poll_s=0.05)
run = store.load(run_dir.name)
print(json.dumps({"state": status["state"], "error": status.get("error"), "versions": run.status.get("versions"),
                  "metrics": run.metrics, "tensorflow_imported": any(m.startswith("tensorflow") for m in sys.modules),
                  "model": (run_dir / "model.keras").is_file(), "predictions": (run_dir / "predictions.npz").is_file()}))
"""


@pytest.mark.parametrize("task, metric", [("dr", "auc"), ("lung2d", "mean_slice_iou"), ("lung3d", "pooled_iou")])
def test_each_task_trains_on_jax_where_tensorflow_is_not_installed(task, metric, demo_root, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT), "DLMI_CACHE_DIR": str(tmp_path / "cache"),
           "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, task, str(demo_root), str(tmp_path / "runs")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["state"] == "done", result["error"]
    assert result["versions"]["backend"] == "jax" and result["versions"]["jax"]
    assert result["model"] and result["predictions"]
    assert metric in result["metrics"]
    assert not result["tensorflow_imported"], "a JAX job imported TensorFlow"
