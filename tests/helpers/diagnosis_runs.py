"""A table of realistic runs for the diagnosis: their histories as a student's page shows them, their status, settings
and test predictions (built deterministically from a seed), and which findings each must and must not get.

The histories are written out by hand, rounded as the history file keeps them, from the shapes real runs have:
stopped early while learning (the issue-30 run: test AUC 0.796, told it was stuck at chance), cut by a time budget,
diverged, overfit, healthy, truly stuck at chance, and a wide train / validation gap while validation still falls.
The test metrics are computed here with scikit-learn and plain numpy, never by the code under test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from tests.helpers.delong import delong_interval

LN2 = math.log(2)
LUNG_SHARE = 0.2
LUNG_CHANCE = -(LUNG_SHARE * math.log(LUNG_SHARE) + (1 - LUNG_SHARE) * math.log(1 - LUNG_SHARE))  # 0.500


@dataclass
class FixtureRun:
    name: str
    task: str
    history: dict
    status: dict
    config: dict
    test: dict  # {"auc": target, "n": photos} (DR) or {"iou": target} / {"iou": 0} (lungs)
    present: tuple = ()
    absent: tuple = ()
    seed: int = 0  # of the test predictions
    predictions: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)

    @property
    def frame(self) -> pd.DataFrame:
        n = len(self.history["loss"])
        return pd.DataFrame({"epoch": range(1, n + 1), **self.history, "partial": [False] * n})


def _scores(auc: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Balanced test scores with about the given AUC (binormal: AUC = Phi(d / sqrt 2)); constant 0.5 for AUC 0.5
    with ``n`` negative."""
    labels = np.array([0, 1] * (n // 2))
    if auc == 0.5:
        return np.full(n, 0.5, np.float32), labels
    rng = np.random.default_rng(seed)
    d = math.sqrt(2) * norm.ppf(auc)
    logits = rng.normal(0, 1, n) + d * labels - d / 2
    return (1 / (1 + np.exp(-logits))).astype(np.float32), labels


def _segmentation(iou: float, seed: int, shape=(6, 32, 32)) -> tuple[np.ndarray, np.ndarray]:
    """Masks with LUNG_SHARE lung, and uint8 probabilities whose thresholded mask has about the given IoU (0: no lung
    predicted anywhere)."""
    rng = np.random.default_rng(seed)
    masks = np.zeros(shape, np.uint8)
    rows = int(round(shape[1] * LUNG_SHARE))
    masks[:, 8:8 + rows, :] = 1
    if iou == 0:
        probs = rng.uniform(0.0, 0.3, shape)
    else:
        flip = rng.uniform(size=shape) < (1 - iou) * LUNG_SHARE  # misses inside, false alarms outside
        predicted = np.where(flip, 1 - masks, masks)
        probs = np.where(predicted > 0, rng.uniform(0.6, 1.0, shape), rng.uniform(0.0, 0.4, shape))
    return np.clip(np.rint(probs * 255), 0, 255).astype(np.uint8), masks


def _curve(values, decimals=4):
    return [round(float(v), decimals) for v in values]


def _wobble(n: int, sd: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, sd, n)


E20 = np.arange(1, 21)
DR_BALANCED = {"chance_loss": round(LN2, 6), "positive_share": 0.5}
DR_USUAL = {"learning_rate": 1e-4, "epochs": 20}

RUNS = [
    FixtureRun(  # the brief's numbers: stopped at 5 of 20 epochs while the loss went down steadily
        "dr_stopped_while_learning", "dr",
        {"loss": [0.69, 0.67, 0.65, 0.63, 0.61], "val_loss": [0.685, 0.668, 0.652, 0.64, 0.628],
         "accuracy": [0.53, 0.58, 0.62, 0.66, 0.69], "val_accuracy": [0.55, 0.6, 0.63, 0.66, 0.68]},
        {"state": "stopped", **DR_BALANCED}, DR_USUAL, {"auc": 0.8, "n": 80},
        present=("still_learning",), absent=("stuck_at_chance", "not_learning", "stopped_early", "overfitting"), seed=8),
    FixtureRun(  # issue 30's run as it was: its last 3 epochs averaged 0.628 and it was told "stuck at chance"
        "dr_stopped_noisy_issue30", "dr",
        {"loss": [0.693, 0.662, 0.66, 0.58, 0.645], "val_loss": [0.684, 0.671, 0.655, 0.648, 0.641],
         "accuracy": [0.52, 0.6, 0.61, 0.7, 0.64], "val_accuracy": [0.54, 0.6, 0.64, 0.68, 0.7]},
        {"state": "stopped", **DR_BALANCED}, DR_USUAL, {"auc": 0.796, "n": 80},
        absent=("stuck_at_chance", "not_learning", "stopped_early", "overfitting"), seed=13),
    FixtureRun(
        "dr_budget_cut", "dr",
        {"loss": [0.62, 0.52, 0.46, 0.42, 0.39, 0.37], "val_loss": [0.58, 0.5, 0.46, 0.43, 0.41, 0.395],
         "accuracy": [0.66, 0.75, 0.79, 0.81, 0.83, 0.84], "val_accuracy": [0.7, 0.76, 0.79, 0.8, 0.81, 0.82]},
        {"state": "done", "budget_cut": "the time budget of 110 s allowed 6 of the 20 epochs", **DR_BALANCED},
        DR_USUAL, {"auc": 0.87, "n": 80},
        present=("still_learning",), absent=("stuck_at_chance", "not_learning", "overfitting", "stopped_early")),
    FixtureRun(
        "dr_diverged", "dr",
        {"loss": [1.81, 7.93, float("nan")], "val_loss": [2.4, 8.1, float("nan")],
         "accuracy": [0.51, 0.5, 0.5], "val_accuracy": [0.5, 0.5, 0.5]},
        {"state": "done", "error": "the training loss became nan at epoch 3, batch 4: training diverged", **DR_BALANCED},
        {"learning_rate": 0.1, "epochs": 20}, {"auc": 0.5, "n": 80},
        present=("diverged",), absent=("still_learning", "overfitting", "stuck_at_chance")),
    FixtureRun(
        "dr_overfit", "dr",
        {"loss": _curve(0.7 * np.exp(-E20 / 5) + _wobble(20, 0.004, 1)),
         "val_loss": _curve(np.where(E20 <= 7, 0.7 - 0.05 * E20, 0.35 + 0.03 * (E20 - 7)) + _wobble(20, 0.01, 2)),
         "accuracy": _curve(np.minimum(0.55 + 0.03 * E20, 0.99)), "val_accuracy": _curve(np.minimum(0.55 + 0.04 * E20, 0.8) - 0.002 * np.maximum(E20 - 7, 0))},
        {"state": "done", **DR_BALANCED}, DR_USUAL, {"auc": 0.82, "n": 80},
        present=("overfitting",), absent=("still_learning", "stuck_at_chance", "not_learning")),
    FixtureRun(
        "dr_healthy", "dr",
        {"loss": _curve(0.3 + 0.4 * np.exp(-E20 / 3) + _wobble(20, 0.004, 3)),
         "val_loss": _curve(0.33 + 0.36 * np.exp(-E20 / 3) + _wobble(20, 0.006, 4)),
         "accuracy": _curve(0.88 - 0.35 * np.exp(-E20 / 3)), "val_accuracy": _curve(0.86 - 0.33 * np.exp(-E20 / 3))},
        {"state": "done", **DR_BALANCED}, DR_USUAL, {"auc": 0.9, "n": 80},
        absent=("stuck_at_chance", "not_learning", "overfitting", "still_learning", "diverged", "below_chance",
                "stopped_early")),
    FixtureRun(
        "dr_stuck_at_chance", "dr",
        {"loss": _curve(np.r_[1.81, LN2 + _wobble(19, 0.003, 5)]), "val_loss": _curve(LN2 + _wobble(20, 0.003, 6)),
         "accuracy": _curve(0.5 + _wobble(20, 0.01, 7)), "val_accuracy": [0.5] * 20},
        {"state": "done", **DR_BALANCED}, {"learning_rate": 0.1, "epochs": 20}, {"auc": 0.5, "n": 80},
        present=("stuck_at_chance", "one_class"), absent=("not_learning", "still_learning", "overfitting")),
    FixtureRun(  # a real run (the learning-rate lesson's, quick preset at 0.1, 8 epochs, 87 training photos): its loss
        # 3 % under ln 2 and a test AUC of 0.64 on 30 photos, whose 95 % interval reaches 0.5: guessing, and said so
        "dr_lr_0_1_small_test_set", "dr",
        {"loss": [4.671, 0.761, 0.711, 0.687, 0.678, 0.668, 0.674, 0.672],
         "val_loss": [10.185, 2.205, 0.738, 0.755, 0.733, 0.769, 0.750, 0.739],
         "accuracy": [0.5, 0.558, 0.546, 0.546, 0.592, 0.583, 0.587, 0.596], "val_accuracy": [0.483] * 3 + [0.448] * 5},
        {"state": "done", **DR_BALANCED}, {"learning_rate": 0.1, "epochs": 8}, {"auc": 0.644, "n": 30},
        present=("stuck_at_chance",), absent=("still_learning", "overfitting", "not_learning"), seed=19),
    FixtureRun(  # the other contradiction: a wide accuracy gap while validation loss is lowest at 20 of 20
        "dr_gap_while_still_learning", "dr",
        {"loss": _curve(0.7 * np.exp(-E20 / 5) + 0.02), "val_loss": _curve(0.69 - 0.015 * E20 + _wobble(20, 0.002, 8)),
         "accuracy": _curve(np.minimum(0.55 + 0.025 * E20, 0.97)), "val_accuracy": _curve(0.55 + 0.0135 * E20)},
        {"state": "done", **DR_BALANCED}, DR_USUAL, {"auc": 0.86, "n": 80},
        present=("still_learning",), absent=("overfitting", "stuck_at_chance", "not_learning")),
    FixtureRun(  # a pretrained backbone learns within its first epoch: the loss is flat, far below chance
        "dr_learned_in_the_first_epoch", "dr",
        {"loss": [0.42, 0.418, 0.421, 0.419, 0.42, 0.418], "val_loss": [0.44, 0.436, 0.441, 0.437, 0.439, 0.44],
         "accuracy": [0.82, 0.83, 0.82, 0.83, 0.82, 0.83], "val_accuracy": [0.81, 0.81, 0.8, 0.81, 0.81, 0.8]},
        {"state": "done", **DR_BALANCED}, {"learning_rate": 1e-4, "epochs": 6}, {"auc": 0.88, "n": 80},
        absent=("not_learning", "stuck_at_chance", "still_learning", "overfitting")),
    FixtureRun(
        "lung2d_stuck_no_lung", "lung2d",
        {"loss": _curve(np.r_[0.62, 0.53, LUNG_CHANCE + _wobble(10, 0.002, 9)]),
         "val_loss": _curve(np.r_[0.58, 0.51, LUNG_CHANCE + _wobble(10, 0.002, 10)])},
        {"state": "done", "chance_loss": round(LUNG_CHANCE, 6), "positive_share": LUNG_SHARE},
        {"learning_rate": 1e-3, "epochs": 12}, {"iou": 0},
        present=("stuck_at_chance", "no_lung"), absent=("not_learning", "still_learning", "overfitting")),
    FixtureRun(  # near the chance loss, but the slices say it found the lungs
        "lung2d_stopped_learning", "lung2d",
        {"loss": [0.55, 0.5, 0.49, 0.486, 0.481], "val_loss": [0.52, 0.5, 0.492, 0.486, 0.48]},
        {"state": "stopped", "chance_loss": round(LUNG_CHANCE, 6), "positive_share": LUNG_SHARE},
        {"learning_rate": 1e-3, "epochs": 20}, {"iou": 0.75},
        absent=("stuck_at_chance", "not_learning", "no_lung", "stopped_early")),
    FixtureRun(
        "lung2d_healthy", "lung2d",
        {"loss": _curve(0.05 + 0.45 * np.exp(-E20 / 3) + _wobble(20, 0.002, 11)),
         "val_loss": _curve(0.06 + 0.44 * np.exp(-E20 / 3) + _wobble(20, 0.003, 12))},
        {"state": "done", "chance_loss": round(LUNG_CHANCE, 6), "positive_share": LUNG_SHARE},
        {"learning_rate": 1e-3, "epochs": 20}, {"iou": 0.93},
        absent=("stuck_at_chance", "not_learning", "no_lung", "overfitting", "still_learning", "diverged")),
    FixtureRun(
        "lung3d_budget_cut", "lung3d",
        {"loss": [0.45, 0.33, 0.26, 0.22, 0.19], "val_loss": [0.41, 0.31, 0.25, 0.215, 0.19]},
        {"state": "done", "budget_cut": "the time budget of 240 s allowed 5 of the 30 epochs",
         "chance_loss": round(LUNG_CHANCE, 6), "positive_share": LUNG_SHARE},
        {"learning_rate": 3e-3, "epochs": 30}, {"iou": 0.8},
        present=("still_learning",), absent=("stuck_at_chance", "not_learning", "no_lung", "overfitting")),
]


def built(run: FixtureRun) -> FixtureRun:
    """The run with its test predictions and metrics, computed here (scikit-learn, numpy), as the task saves them."""
    if run.task == "dr":
        scores, labels = _scores(run.test["auc"], run.test["n"], run.seed)
        return replace(run, predictions={"scores": scores, "labels": labels},
                       metrics={"auc": float(roc_auc_score(labels, scores)),
                                "accuracy": float(np.mean((scores >= 0.5) == labels))})
    probs, masks = _segmentation(run.test["iou"], run.seed)
    predicted, truth = probs >= 128, masks > 0
    iou = float((predicted & truth).sum() / (predicted | truth).sum())
    key = "masks" if run.task == "lung2d" else "mask"
    return replace(run, predictions={"probs": probs, key: masks},
                   metrics={"pooled_iou": iou, "accuracy": float(np.mean(predicted == truth))})


def learned(run: FixtureRun) -> bool | None:
    """Whether the run's own test figures show it learned (an AUC whose DeLong 95 % interval lies above 0.5, computed
    by this table's own helper; an IoU at least 0.1 from both constant predictions', 0 and the share of lung)."""
    if "auc" in run.metrics:
        scores, labels = run.predictions["scores"], run.predictions["labels"]
        if np.ptp(scores) == 0:
            return False
        return delong_interval(scores, labels)[1] > 0.5
    if "pooled_iou" in run.metrics:
        iou = run.metrics["pooled_iou"]
        return min(iou, abs(iou - LUNG_SHARE)) >= 0.1
    return None
