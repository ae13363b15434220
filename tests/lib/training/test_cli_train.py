import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _train(*args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DLMI_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "lib", "train", *args, "--runs-dir", str(tmp_path / "runs")],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def test_train_lung2d_prints_progress_and_a_json_summary(demo_root, tmp_path):
    done = _train("lung2d", "--data", str(demo_root / "lungs"), "--preset", "quick", "--epochs", "2",
                  "--set", "image_size=32", "--set", "filters=4", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert any(line.startswith("epoch 2/2") for line in lines)
    summary = json.loads(lines[-1])
    assert summary["state"] == "done" and 0 <= summary["mean_slice_iou"] <= 1
    assert Path(summary["run_dir"], "model.keras").is_file()
    config = json.loads(Path(summary["run_dir"], "config.json").read_text())
    assert config["owner"] == "shared" and config["epochs"] == 2 and config["image_size"] == 32


def test_train_refuses_missing_data_and_bad_settings(tmp_path):
    missing = _train("dr", "--data", str(tmp_path / "nowhere"), tmp_path=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert not (tmp_path / "runs").exists()
    bad = _train("dr", "--data", str(tmp_path), "--set", "learning_rate=fast", tmp_path=tmp_path)
    assert bad.returncode == 2 and "dr.learning_rate must be a number, got 'fast'" in bad.stderr


def test_a_run_at_learning_rate_one_ends_with_a_diagnosis_in_the_json(demo_root, tmp_path):
    done = _train("lung2d", "--data", str(demo_root / "lungs"), "--epochs", "1", "--set", "image_size=32",
                  "--set", "filters=4", "--set", "learning_rate=1.0", tmp_path=tmp_path)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["diagnosis"], summary
    assert {"code", "title", "text", "severity"} <= set(summary["diagnosis"][0])
    assert any(line.startswith("diagnosis: ") for line in done.stdout.splitlines())
