import json
import os
import subprocess
import sys
from pathlib import Path

from lib.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _inspect(capsys, *args):
    code = main(["inspect", *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out.strip().splitlines()[-1]), out


def test_inspect_finds_problems_and_still_counts_usable_items(capsys, eyepacs_copy, lungs_copy):
    photos = sorted((eyepacs_copy / "train").glob("*.jpeg"))
    photos[0].write_bytes(photos[0].read_bytes()[:200])
    with open(eyepacs_copy / "trainLabels.csv", "a") as f:
        f.write("424242_left,2\n")
    (lungs_copy / "2d_masks" / sorted((lungs_copy / "2d_masks").iterdir())[0].name).unlink()

    code, summary, text = _inspect(capsys, "dr", str(eyepacs_copy))
    assert code == 0
    assert set(summary) >= {"task", "path", "ok", "n_items", "problems"}
    assert summary["task"] == "dr" and summary["ok"] and summary["n_items"] == 59
    files = {p["file"]: p for p in summary["problems"]}
    assert files[f"train/{photos[0].name}"]["kind"] == "corrupt_jpeg"
    assert files["train/424242_left.jpeg"]["kind"] == "missing_image"
    assert "usable items: 59" in text

    code, summary, _ = _inspect(capsys, "lung2d", str(lungs_copy))
    assert code == 0 and summary["n_items"] == 23
    assert [p["kind"] for p in summary["problems"]] == ["missing_mask"]

    code, summary, _ = _inspect(capsys, "lung3d", str(lungs_copy))
    assert code == 0 and summary["n_items"] == 4


def test_inspect_exits_1_when_unusable(capsys, tmp_path):
    code, summary, text = _inspect(capsys, "lung3d", str(tmp_path / "missing"))
    assert code == 1 and not summary["ok"] and "does not exist" in text


def test_demo_and_download_through_python_dash_m(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    env.pop("KAGGLE_USERNAME", None)
    env.pop("KAGGLE_KEY", None)
    done = subprocess.run([sys.executable, "-m", "lib", "demo", "--small", "--out", str(tmp_path / "d")],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "d" / "eyepacs" / "trainLabels.csv").is_file()
    assert (tmp_path / "d" / "lungs" / "3d_images" / "MASK_0078.nii.gz").is_file()
    refused = subprocess.run([sys.executable, "-m", "lib", "download", "lung", "--out", str(tmp_path / "k")],
                             capture_output=True, text=True, env=env, cwd=ROOT)
    assert refused.returncode == 2 and "KAGGLE_USERNAME" in refused.stderr
