"""Every finding on every realistic run (tests/helpers/diagnosis_runs.py): none contradicts the run's test results,
none contradicts another, each cites only numbers the page shows, and the expected codes are there (or not)."""

import math
import re

import numpy as np
import pytest

from lib import notice, tasks
from tests.helpers.diagnosis_runs import RUNS, built, learned

# Findings that say the model learned nothing (or nothing better than chance).
LEARNED_NOTHING = {"stuck_at_chance", "not_learning", "stopped_early"}
# Pairs no run may get together: a curve cannot be still falling and overfitting, nor learning and flat or broken.
CONTRADICTING = [{"still_learning", "overfitting"}, {"still_learning", "stuck_at_chance"},
                 {"still_learning", "not_learning"}, {"still_learning", "diverged"}, {"overfitting", "stuck_at_chance"},
                 {"overfitting", "not_learning"}, {"overfitting", "diverged"}, {"stuck_at_chance", "not_learning"},
                 {"stuck_at_chance", "diverged"}]
# Numbers that are part of the wording, not of the run: "guessing 50 / 50 costs 0.69", "ln 2", "AUC 0.5", "50 %".
WORDING = {50.0, 0.69, 2.0, 0.5}
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?(?:e[+-]?\d+)?)(\s?%)?")


def _diagnose(run):
    return tasks.get(run.task).diagnose(history=run.frame, predictions=run.predictions, metrics=run.metrics,
                                        status=run.status, config=run.config)


def _shown(run) -> list[float]:
    """Every number the run's page shows: its history (each epoch's values, the epoch numbers), its test metrics,
    its settings, the status's chance loss and budget text, the task's usual learning rates, the test set's size."""
    values = [float(v) for column in run.history.values() for v in column if math.isfinite(v)]
    values += list(range(0, len(run.history["loss"]) + 1))
    values += [float(v) for v in run.metrics.values()] + [float(v) for v in run.config.values()]
    values += [float(run.status[k]) for k in ("chance_loss", "positive_share") if k in run.status]
    values += [float(n) for n in re.findall(r"\d+", run.status.get("budget_cut", "") + run.status.get("error", ""))]
    values += list(tasks.get(run.task).usual_learning_rates or ())
    first = next(iter(run.predictions.values()))
    values.append(float(len(first)))
    return values


def _cited(text: str) -> list[tuple[float, float]]:
    """(value, half a unit of its last shown digit) for each number in ``text``; a percentage as a share."""
    cited = []
    for digits, percent in NUMBER.findall(text):
        value = float(digits)
        decimals = len(digits.split(".")[1].split("e")[0]) if "." in digits else 0
        tolerance = 0.5 * 10.0 ** -decimals * (1 + 1e-9)
        if "e" in digits:
            tolerance = abs(value) * 0.005
        if percent:
            value, tolerance = value / 100, tolerance / 100
        cited.append((value, tolerance))
    return cited


@pytest.fixture(params=RUNS, ids=[r.name for r in RUNS])
def run(request):
    return built(request.param)


def test_the_fixture_runs_have_the_test_results_they_describe(run):
    """The table itself: its predictions give the AUC / IoU it names (computed here, not by the code under test)."""
    if "auc" in run.test:
        assert run.metrics["auc"] == pytest.approx(run.test["auc"], abs=0.03)
    else:
        assert run.metrics["pooled_iou"] == pytest.approx(run.test["iou"], abs=0.05)


def test_every_finding_agrees_with_the_runs_results_and_with_the_others(run):
    findings = _diagnose(run)
    codes = [f.code for f in findings]
    assert len(codes) == len(set(codes)), codes
    for code in run.present:
        assert code in codes, f"{run.name}: expected {code}, got {codes}"
    for code in run.absent:
        assert code not in codes, f"{run.name}: {code} should not be said, got {codes}"
    if learned(run):
        assert not LEARNED_NOTHING & set(codes), f"{run.name}: told it learned nothing, test {run.metrics}"
    for pair in CONTRADICTING:
        assert not pair <= set(codes), f"{run.name}: {sorted(pair)} both said"


def test_every_number_a_finding_cites_is_on_the_page(run):
    shown = _shown(run)
    for finding in _diagnose(run):
        for value, tolerance in _cited(finding.title + " " + finding.text):
            if value in WORDING:
                continue
            assert any(abs(value - s) <= tolerance for s in shown), \
                f"{run.name}: {finding.code} cites {value}, which the page does not show: {finding.text}"


def test_the_text_beside_the_curves_agrees_with_the_diagnosis(run):
    """lib.notice.curves calls a gap overfitting only when the diagnosis does, never while validation still falls."""
    text = notice.curves(run.frame) or ""
    codes = {f.code for f in _diagnose(run)}
    assert ("(overfitting)" in text) == ("overfitting" in codes), f"{run.name}: {text!r} against {sorted(codes)}"
    if "still_learning" in codes:
        assert "overfitting)" not in text and "still falling" in text or "gap" not in text


def test_the_issue_30_run_is_not_told_it_is_stuck():
    """The stopped run from the issue (its last three epochs averaged 0.628 against ln 2 = 0.693, test AUC about
    0.80) is told it was stopped while learning, and nothing about chance."""
    [issue] = [built(r) for r in RUNS if r.name == "dr_stopped_noisy_issue30"]
    assert np.mean(issue.history["loss"][-3:]) == pytest.approx(0.628, abs=0.001)
    findings = _diagnose(issue)
    assert [f.code for f in findings] == ["still_learning"]
    assert findings[0].title == "Stopped while still learning" and "0.641 at epoch 5" in findings[0].text
    assert not any("chance" in f.text or "0.628" in f.text for f in findings)
