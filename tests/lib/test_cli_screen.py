"""python -m lib screen: any screening test's CSV summarised, the last line one JSON object; a bad file exits 2 with
the message the Screening page shows."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from lib.cli import main
from lib.data.scores import ScoresFileError, parse_scores

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scores_file(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1.5, 300)
    labels = (rng.random(300) < 1 / (1 + np.exp(-z))).astype(int)
    scores = 1 / (1 + np.exp(-2 * z))
    eye = np.where(np.arange(300) % 2 == 0, "left", "right")
    path = tmp_path / "vendor.csv"
    path.write_text("photo;p;truth;eye\n" + "".join(f"{i}_{e};{s:.6f};{y};{e}\n"
                                                   for i, (s, y, e) in enumerate(zip(scores, labels, eye))))
    return path, np.round(scores, 6), labels, eye


def _screen(capsys, *args):
    code = main(["screen", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_json_line_holds_every_figure(capsys, scores_file):
    path, scores, labels, eye = scores_file
    code, out, _ = _screen(capsys, path, "--score", "p", "--label", "truth", "--group", "eye", "--id", "photo",
                           "--threshold", "0.5", "--thresholds", "0.1,0.3", "--json")
    assert code == 0
    got = json.loads(out.strip().splitlines()[-1])
    assert got["file"] == "vendor.csv" and got["n"] == 300
    assert got["auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert got["brier"] == pytest.approx(brier_score_loss(labels, scores))
    assert 0 <= got["ece"] < 0.5 and got["temperature"] == pytest.approx(2.0, rel=0.3)
    assert "held-out half" in got["temperature_fitted_on"]
    referred = scores >= 0.3
    tp, fp = np.sum(referred & (labels == 1)), np.sum(referred & (labels == 0))
    assert set(got["net_benefit"]) == {"0.1", "0.3"}
    assert got["net_benefit"]["0.3"] == pytest.approx(tp / 300 - fp / 300 * 0.3 / 0.7)
    assert set(got["groups"]) == {"left", "right"}
    left = eye == "left"
    assert got["groups"]["left"]["n"] == left.sum()
    assert got["groups"]["left"]["sensitivity"] == pytest.approx(np.mean(scores[left & (labels == 1)] >= 0.5))
    assert got["groups"]["right"]["auc"] == pytest.approx(roc_auc_score(labels[~left], scores[~left]))
    assert "net benefit at threshold probability 0.3" in out and "group left: n 150" in out


def test_without_json_only_lines_for_people_and_youden_by_default(capsys, scores_file):
    path, *_ = scores_file
    code, out, _ = _screen(capsys, path, "--score", "p", "--label", "truth")
    assert code == 0 and "Youden's J" in out and not out.strip().splitlines()[-1].startswith("{")


@pytest.mark.parametrize("text, args", [
    ("score,label\n0.1,0\nhigh,1\n", []),
    ("score,label,score\n0.1,0,1\n", []),
    ("score,label\n0.1,1\n0.4,1\n", []),
    ("score,label\n0.1,0\n0.4,1\n", ["--group", "site"]),
])
def test_a_bad_file_exits_2_with_the_readers_message(capsys, tmp_path, text, args):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ScoresFileError) as expected:
        parse_scores(text, source="bad.csv", group=args[1] if args else None)
    code, out, err = _screen(capsys, path, *args, "--json")
    assert code == 2 and err.strip() == f"error: {expected.value}" and out == ""


def test_bad_threshold_probabilities_are_refused(capsys, scores_file):
    with pytest.raises(SystemExit) as exited:
        main(["screen", str(scores_file[0]), "--thresholds", "0.1,1.5"])
    assert exited.value.code == 2 and "between 0 and 1" in capsys.readouterr().err


def test_through_python_dash_m(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("score,label\n0.9,1\n0.8,1\n0.3,0\n0.6,0\n0.2,0\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "lib", "screen", str(path), "--json"], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["auc"] == pytest.approx(1.0)
    path.write_text("score,label\n0.9,2\n")
    done = subprocess.run([sys.executable, "-m", "lib", "screen", str(path)], capture_output=True, text=True, env=env,
                          cwd=ROOT)
    assert done.returncode == 2 and "s.csv, row 2, column 'label': '2' is not 0 or 1" in done.stderr


def test_score_refuses_a_folder_that_is_not_a_run(capsys, tmp_path):
    code = main(["score", str(tmp_path), str(tmp_path), "--out", str(tmp_path / "s.csv")])
    assert code == 2 and "is not a readable run folder" in capsys.readouterr().err
