"""The course's first lesson, end to end from the command line: the quick DR preset at a learning rate of 0.1 ends
stuck at chance and the diagnosis says so, naming the learning rate; at 0.001 it learns and the finding is absent.

The data is a demo of 300 small photos (the ``--small`` demo's 16 training photos are memorised even at 0.1, which
teaches nothing about learning rates). The preset's time budget is off and the runs are 8 and 5 epochs, so the outcome
does not depend on this machine's speed.
"""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lib.demo.write import SMALL_SIZE
from lib.tasks import write_demo

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo300")
    write_demo(out, ["eyepacs"], size=dataclasses.replace(SMALL_SIZE, n_photos=300), workers=2)
    return out / "eyepacs"


def _train(photos: Path, tmp_path: Path, learning_rate: float, epochs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DLMI_CACHE_DIR": str(tmp_path / "cache"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "lib", "train", "dr", "--data", str(photos), "--preset", "quick",
                           "--epochs", str(epochs), "--set", f"learning_rate={learning_rate}", "--set", "time_budget_s=0",
                           "--runs-dir", str(tmp_path / "runs")], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_learning_rate_of_0_1_is_diagnosed_as_stuck_at_chance(photos, tmp_path):
    summary = _train(photos, tmp_path, 0.1, epochs=8)
    stuck = [f for f in summary["diagnosis"] if f["code"] == "stuck_at_chance"]
    assert stuck, [f["code"] for f in summary["diagnosis"]]
    text = stuck[0]["text"]
    assert "ln 2" in text and "The learning rate, 0.1, is above the usual range" in text, text
    assert stuck[0]["compare"] == "learning_rate" and stuck[0]["suggest"] == {"learning_rate": 0.001}


def test_at_0_001_the_same_preset_learns_and_is_not_stuck(photos, tmp_path):
    summary = _train(photos, tmp_path, 0.001, epochs=5)
    assert "stuck_at_chance" not in [f["code"] for f in summary["diagnosis"]]
    assert summary["auc"] > 0.8
