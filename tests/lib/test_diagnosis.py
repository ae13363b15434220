"""Each diagnosis on hand-made histories and predictions."""

import numpy as np
import pytest
import pandas as pd

from lib import diagnosis as d
from lib import tasks


def _history(**columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"epoch": range(1, n + 1), **columns})


def test_nan_loss_is_diverged_naming_the_epoch():
    finding = d.diverged(_history(loss=[0.7, 0.6, np.nan]))
    assert finding.code == "diverged" and "At epoch 3" in finding.text and "learning rate" in finding.text
    assert d.diverged(_history(loss=[0.7, 2.5, 3.0])).title == "The loss went up"
    assert "5.15e+07" in d.diverged(_history(loss=[51489432.0])).text  # one epoch at learning rate 1.0
    assert d.diverged(pd.DataFrame(), error="the training loss became nan at epoch 1, batch 1: training diverged").code == "diverged"


def test_a_flat_loss_is_not_learning():
    assert d.not_learning(_history(loss=[0.6931, 0.6932, 0.6930, 0.6931])).code == "not_learning"
    assert d.not_learning(_history(loss=[0.69, 0.5, 0.4])) is None
    assert d.not_learning(_history(loss=[0.69, 0.69])) is None  # too short to say


def test_overfitting_names_the_epoch_validation_stopped_improving():
    history = _history(loss=[0.6, 0.4, 0.3, 0.2, 0.1], val_loss=[0.6, 0.45, 0.5, 0.6, 0.7],
                       accuracy=[0.7, 0.8, 0.9, 0.95, 1.0], val_accuracy=[0.7, 0.8, 0.79, 0.78, 0.78])
    finding = d.overfitting(history)
    assert finding.title == "Overfitting from epoch 3" and "lowest at epoch 2 (0.450)" in finding.text
    assert "Training accuracy is 1.00 against 0.78" in finding.text and finding.severity == "notice"
    assert d.overfitting(_history(loss=[0.6, 0.4, 0.3, 0.2], val_loss=[0.6, 0.5, 0.45, 0.44])) is None


def test_constant_scores_and_one_answer():
    assert d.one_class(np.full(10, 0.31), np.arange(10) % 2).title == "The same score for every photo"
    finding = d.one_class(np.linspace(0.6, 0.9, 10), np.array([0] * 7 + [1] * 3))
    assert "'refer' for all 10 test photos" in finding.text and "30%" in finding.text


def test_auc_below_chance():
    finding = d.below_chance(0.3, 80)
    assert finding.code == "below_chance" and "AUC 0.30 on 80 test photos" in finding.text
    assert d.below_chance(0.5) is None and d.below_chance(float("nan")) is None


def test_no_lung_anywhere():
    masks = np.zeros((3, 8, 8), np.uint8)
    masks[:, 2:5, 2:5] = 1
    finding = d.no_foreground(np.zeros((3, 8, 8)), masks)
    assert finding.code == "no_lung" and "86%" in finding.text
    assert d.no_foreground(masks.astype(float), masks) is None


def test_stopped_before_learning():
    assert d.stopped_before_learning("stopped", pd.DataFrame()).code == "stopped_early"
    partial = _history(loss=[0.7], partial=[True])
    assert d.stopped_before_learning("stopped", partial).code == "stopped_early"
    done = _history(loss=[0.7, 0.5], partial=[False, False])
    assert d.stopped_before_learning("stopped", done, headline="AUC", value=0.48, chance=0.5).code == "stopped_early"
    assert d.stopped_before_learning("stopped", done, headline="AUC", value=0.8, chance=0.5) is None
    assert d.stopped_before_learning("done", pd.DataFrame()) is None


def test_each_task_combines_its_findings():
    flat = _history(loss=[0.69, 0.69, 0.69])
    dr = tasks.get("dr").diagnose(history=flat, metrics={"auc": 0.38}, status={"state": "done"},
                                  predictions={"scores": np.full(6, 0.5), "labels": np.array([0, 1] * 3)})
    assert [f.code for f in dr] == ["not_learning", "one_class", "below_chance"]
    masks = np.ones((2, 4, 4), np.uint8)
    masks[:, :2] = 0
    lung2d = tasks.get("lung2d").diagnose(history=flat, metrics={}, status={"state": "done"},
                                          predictions={"probs": np.zeros((2, 4, 4), np.uint8), "masks": masks})
    assert [f.code for f in lung2d] == ["not_learning", "no_lung"]
    lung3d = tasks.get("lung3d").diagnose(history=pd.DataFrame(), metrics={}, status={"state": "stopped"}, predictions=None)
    assert [f.code for f in lung3d] == ["stopped_early"]


# --- diagnoses that hold under noise (noisy synthetic histories, many seeds) ----------------------------------------
LN2 = float(np.log(2))


def _noisy(values, sd, seed):
    return np.asarray(values, float) + np.random.default_rng(seed).normal(0, sd, len(values))


def _stuck_history(seed, *, chance=LN2, sd=0.003, epochs=20, first=1.81):
    loss = _noisy([first] + [chance] * (epochs - 1), sd, seed)
    return _history(loss=loss, val_loss=_noisy([chance] * epochs, sd, seed + 1000))


def test_stuck_at_ln2_names_the_loss_the_chance_value_and_the_learning_rate():
    finding = d.stuck_at_chance(_stuck_history(0), chance_loss=LN2, positive_share=0.5, learning_rate=0.1,
                                usual_learning_rates=(1e-4, 1e-3), items="photos", positive="referable")
    assert finding.code == "stuck_at_chance" and finding.compare == "learning_rate"
    assert "0.693 = ln 2" in finding.text and "answers 0.50 for every photo" in finding.text
    assert "The learning rate, 0.1, is above the usual range for this task (0.0001 to 0.001)" in finding.text
    assert "first epoch: its loss was 1.81" in finding.text  # the jump, as evidence
    assert finding.suggest == {"learning_rate": 0.001}


def test_stuck_at_another_balances_chance_points_elsewhere_when_the_learning_rate_is_usual():
    chance = 0.2 * np.log(1 / 0.2) + 0.8 * np.log(1 / 0.8)  # 20 % lung pixels: 0.500
    history = _history(loss=_noisy([0.62, 0.53] + [chance] * 10, 0.002, 3))
    finding = d.stuck_at_chance(history, chance_loss=chance, positive_share=0.2, learning_rate=1e-3,
                                usual_learning_rates=(1e-4, 3e-3), items="slices", unit="pixel", positive="lung")
    assert finding is not None and f"{chance:.3f}" in finding.text and "ln 2" not in finding.text
    assert "answers 0.20 for every pixel (the share of lung pixels in the training set)" in finding.text
    assert "within the usual range" in finding.text and "labels" in finding.text and finding.suggest == {}


def test_constant_input_is_named_as_the_datas_problem_not_the_learning_rates():
    finding = d.stuck_at_chance(_stuck_history(1), chance_loss=LN2, positive_share=0.5, learning_rate=0.1,
                                usual_learning_rates=(1e-4, 1e-3), input_spread=0.0, items="photos")
    assert "the data, not the training" in finding.text and "learning rate, 0.1" not in finding.text
    findings = d.combine(_stuck_history(1), {"chance_loss": LN2, "positive_share": 0.5, "input_spread": 0.0, "state": "done"},
                         [], config={"learning_rate": 0.1}, items="photos", usual_learning_rates=(1e-4, 1e-3))
    assert [f.code for f in findings][:2] == ["constant_input", "stuck_at_chance"]
    assert d.constant_input(0.08) is None


@pytest.mark.parametrize("seed", range(20))
def test_stuck_is_found_under_noise_and_slow_learning_is_not_stuck(seed):
    stuck = d.stuck_at_chance(_stuck_history(seed, sd=0.004), chance_loss=LN2, positive_share=0.5)
    assert stuck is not None, f"seed {seed}: a loss at ln 2 +/- 0.004 was not found stuck"
    slow = _history(loss=_noisy(np.linspace(0.693, 0.60, 20), 0.003, seed))  # learning, slowly
    assert d.stuck_at_chance(slow, chance_loss=LN2, positive_share=0.5) is None, f"seed {seed}: slow learning called stuck"
    learned = _history(loss=_noisy(np.linspace(0.69, 0.2, 12), 0.01, seed))
    assert d.stuck_at_chance(learned, chance_loss=LN2) is None


def test_overfitting_needs_a_rise_beyond_the_noise():
    """A run stopped while validation loss still falls is not overfitting; a real overfit is, in nearly every seed."""
    epochs = np.arange(1, 21)
    flagged_early, found_real, flagged_plateau = 0, 0, 0
    for seed in range(40):
        improving = 0.7 * np.exp(-epochs[:6] / 4) + 0.2
        early = _history(loss=_noisy(improving - 0.02, 0.01, seed), val_loss=_noisy(improving, 0.015, seed + 50))
        flagged_early += d.overfitting(early) is not None
        val = np.where(epochs <= 8, 0.7 - 0.05 * epochs, 0.3 + 0.03 * (epochs - 8))
        real = _history(loss=_noisy(0.7 * np.exp(-epochs / 5), 0.005, seed), val_loss=_noisy(val, 0.01, seed + 99))
        found_real += d.overfitting(real) is not None
        plateau = _history(loss=_noisy(np.linspace(0.5, 0.3, 20), 0.005, seed), val_loss=_noisy(np.full(20, 0.4), 0.01, seed + 7))
        flagged_plateau += d.overfitting(plateau) is not None
    assert flagged_early == 0, f"{flagged_early} of 40 early-stopped improving runs called overfitting"
    assert found_real >= 38, f"only {found_real} of 40 real overfits found"
    assert flagged_plateau <= 2, f"{flagged_plateau} of 40 flat validation curves called overfitting"


def test_a_real_overfit_names_an_epoch_near_the_turn():
    epochs = np.arange(1, 21)
    val = np.where(epochs <= 8, 0.7 - 0.05 * epochs, 0.3 + 0.03 * (epochs - 8))
    finding = d.overfitting(_history(loss=0.7 * np.exp(-epochs / 5), val_loss=_noisy(val, 0.005, 0)))
    turn = int(finding.title.split()[-1])
    assert 8 <= turn <= 10, finding.title


def test_stopped_while_still_learning():
    improving = 0.7 * np.exp(-np.arange(1, 7) / 4) + 0.2
    history = _history(loss=improving - 0.02, val_loss=_noisy(improving, 0.003, 0))
    finding = d.still_learning(history, state="stopped")
    assert finding.title == "Stopped while still learning" and "validation loss was still falling" in finding.text
    assert f"{history['val_loss'].iloc[-1]:.3f}" in finding.text  # the number on the curve
    budget = d.still_learning(history, state="done", budget_cut="the time budget of 110 s allowed 6 of the 20 epochs")
    assert budget.title == "The time budget ended it while still learning"
    turned = _history(loss=improving, val_loss=np.r_[improving[:-2], improving[-3] + 0.05, improving[-3] + 0.08])
    assert d.still_learning(turned) is None


def test_combine_names_the_stuck_run_before_the_results_and_not_learning_is_not_repeated():
    findings = d.combine(_stuck_history(2), {"state": "done", "chance_loss": LN2, "positive_share": 0.5}, [],
                         config={"learning_rate": 0.1}, items="photos", usual_learning_rates=(1e-4, 1e-3))
    codes = [f.code for f in findings]
    assert codes[0] == "stuck_at_chance" and "not_learning" not in codes and "still_learning" not in codes


def test_one_rule_never_calls_a_run_both_still_learning_and_overfitting():
    """lib.metrics.learning.phase decides both; overfitting is never said while the last epoch is the lowest."""
    from lib.metrics.learning import phase

    both = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(5, 25))
        val = np.cumsum(rng.normal(-0.01, 0.03, n)) + 0.7
        train = np.linspace(0.7, 0.1, n)
        history = _history(loss=train, val_loss=val)
        found = {f.code for f in (d.overfitting(history), d.still_learning(history)) if f is not None}
        both += found == {"overfitting", "still_learning"}
        if np.argmin(val) == n - 1:
            assert "overfitting" not in found, f"seed {seed}: overfitting with the lowest validation loss at the last epoch"
        assert phase(val, train).name in found | {None} and len(found) <= 1
    assert both == 0


def test_stuck_at_chance_needs_the_test_results_to_agree():
    history = _stuck_history(4)
    assert d.stuck_at_chance(history, chance_loss=LN2, test_at_chance=True).code == "stuck_at_chance"
    assert d.stuck_at_chance(history, chance_loss=LN2, test_at_chance=False) is None  # e.g. a test AUC of 0.8
    assert d.not_learning(_history(loss=[0.42, 0.42, 0.421]), test_at_chance=False) is None
    assert d.classifier_at_chance(0.796) is False and d.classifier_at_chance(0.55) is True
    assert d.classifier_at_chance(0.38) is True  # below chance: no better than guessing either
    masks = np.zeros((2, 10, 10), np.uint8)
    masks[:, :3] = 1  # 30 % lung
    assert d.segmentation_at_chance(np.ones((2, 10, 10)), masks) is True  # all lung: IoU 0.30, the share
    assert d.segmentation_at_chance(masks.astype(float), masks) is False
