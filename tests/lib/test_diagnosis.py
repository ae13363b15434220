"""Each diagnosis on hand-made histories and predictions."""

import numpy as np
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
