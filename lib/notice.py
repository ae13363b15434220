"""What to notice: one or two sentences that read a student's own numbers, and the course's questions.

The diagnosis (:mod:`lib.diagnosis`) says what went wrong; these texts say what the numbers of any run mean,
right beside them. Each function takes plain numbers and returns a sentence (or None when there is nothing
to read). :data:`QUESTIONS` holds the course's "think about it" prompts with their answers, keyed by the step
they belong to.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lib.metrics.learning import OVERFITTING, STILL_LEARNING, phase
from lib.metrics.roc import ppv_npv_at_prevalence


def _pct(value: float) -> str:
    """``0.856`` -> ``86 %`` (the house style: a space before the sign)."""
    return f"{value * 100:.0f} %"


def _last(history: pd.DataFrame, name: str) -> float | None:
    if name not in history.columns:
        return None
    values = pd.to_numeric(history[name], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return float(values[-1]) if values.size else None


def curves(history: pd.DataFrame, metric: str = "accuracy", items: str = "photos") -> str | None:
    """Training against validation at the last epoch, and the epoch where validation loss was lowest. A gap is called
    overfitting only where the diagnosis's rule (:func:`lib.metrics.learning.phase`) says so, never while validation
    loss is still falling.

    Examples
    --------
    >>> h = pd.DataFrame({"epoch": [1, 2, 3, 4, 5, 6], "loss": [.6, .4, .3, .2, .1, .05],
    ...                   "val_loss": [.6, .5, .52, .6, .7, .75],
    ...                   "accuracy": [.7, .8, .9, .95, 1.0, 1.0], "val_accuracy": [.7, .75, .74, .73, .72, .78]})
    >>> print(curves(h))  # doctest: +NORMALIZE_WHITESPACE
    After 6 epochs the training accuracy is 1.00 and the validation accuracy 0.78: a gap of 0.22. The model does better
    on photos it has learned from than on new ones (overfitting); validation loss was lowest at epoch 2 of 6.
    """
    if history is None or history.empty:
        return None
    train, val = _last(history, metric), _last(history, f"val_{metric}")
    epochs = len(history)
    if train is None or val is None:
        return None
    gap = train - val
    what = f"After {epochs} epoch{'s' if epochs != 1 else ''} the training {metric} is {train:.2f} and the validation {metric} {val:.2f}"
    best = ""
    if "val_loss" in history.columns:
        losses = pd.to_numeric(history["val_loss"], errors="coerce").to_numpy(dtype=float)
        if np.isfinite(losses).any():
            best_epoch = int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan))) + 1
            best = f"; validation loss was lowest at epoch {best_epoch} of {epochs}"
    if gap > 0.1:
        said = f"{what}: a gap of {gap:.2f}. The model does better on {items} it has learned from than on new ones"
        verdict = phase(pd.to_numeric(history["val_loss"], errors="coerce") if "val_loss" in history.columns else None,
                        pd.to_numeric(history["loss"], errors="coerce") if "loss" in history.columns else None).name
        if verdict == OVERFITTING:  # the diagnosis's rule (lib.metrics.learning.phase): never said where it is not
            return f"{said} (overfitting){best}."
        if verdict == STILL_LEARNING:
            return (f"{said}{best}, and it was still falling: not overfitting yet, validation is still improving "
                    "(see the diagnosis below).")
        return f"{said}{best}."
    if gap < -0.05:
        return (f"{what}: validation is better than training. Dropout and augmentation make training harder than "
                f"validation, which sees clean {items}{best}.")
    if train < 0.6:
        return f"{what}: close together but both low: the model has learned little so far{best}."
    return f"{what}: close together, so what it learned carries over to data it has not seen{best}."


def auc_reading(auc: float, n_test: int, low: float | None = None, high: float | None = None, *,
                positive: str = "referable", negative: str = "non-referable", item: str = "photo") -> str | None:
    """What an AUC means, with its interval when given; ``positive``, ``negative`` and ``item`` name the two classes
    and what is scored (a DR photo by default).

    Examples
    --------
    >>> auc_reading(0.86, 80, 0.78, 0.93)
    'AUC 0.86: a random referable photo scores higher than a random non-referable one 86 % of the time (0.5 is a coin toss). With 80 test photos the 95 % interval runs from 0.78 to 0.93: another test set of the same size could well give any value in it.'
    >>> auc_reading(0.7, 10, positive="positive", negative="negative", item="item")
    'AUC 0.70: a random positive item scores higher than a random negative one 70 % of the time (0.5 is a coin toss).'
    """
    if auc is None or not math.isfinite(auc):
        return None
    text = (f"AUC {auc:.2f}: a random {positive} {item} scores higher than a random {negative} one {_pct(auc)} of the "
            "time (0.5 is a coin toss).")
    if low is not None and high is not None:
        text += (f" With {n_test} test {item}s the 95 % interval runs from {low:.2f} to {high:.2f}: another test set "
                 "of the same size could well give any value in it.")
    return text


def prevalence_reading(sensitivity: float, specificity: float, test_prevalence: float, prevalence: float, *,
                       label: str = "refer", positive: str = "referable", item: str = "photo") -> str | None:
    """How the same operating point's PPV changes from the test set's prevalence to the screened population's
    (``label``: the positive class's short name; ``positive`` and ``item`` as :func:`auc_reading`).

    Examples
    --------
    >>> prevalence_reading(0.9, 0.8, 0.5, 0.05)
    'On the test set (50 % refer) 82 % of the photos this point refers are referable; where 5 % are, only 19 % would be: the same sensitivity and specificity, but most referrals would be false alarms.'
    >>> prevalence_reading(0.9, 0.8, 0.5, 0.05, label="positive", positive="positive", item="item")[:70]
    'On the test set (50 % positive) 82 % of the items this point refers ar'
    """
    values = (sensitivity, specificity, test_prevalence, prevalence)
    if any(v is None or not math.isfinite(v) for v in values):
        return None
    test_ppv, _ = ppv_npv_at_prevalence(sensitivity, specificity, test_prevalence)
    ppv, _ = ppv_npv_at_prevalence(sensitivity, specificity, prevalence)
    if not (math.isfinite(test_ppv) and math.isfinite(ppv)):
        return None
    verdict = "most referrals would be false alarms" if ppv < 0.5 else "most referrals would still be right"
    only = "only " if ppv < test_ppv else ""
    return (f"On the test set ({_pct(test_prevalence)} {label}) {_pct(test_ppv)} of the {item}s this point refers are "
            f"{positive}; where {_pct(prevalence)} are, {only}{_pct(ppv)} would be: the same sensitivity and "
            f"specificity, but {verdict}.")


def iou_reading(ious: np.ndarray, names: list[str] | None = None) -> str | None:
    """The spread of per-slice IoU: the mean, the share above 0.9 and the worst slice.

    Examples
    --------
    >>> iou_reading(np.array([0.95, 0.97, 0.6]), ["a", "b", "c"])
    'Mean IoU 0.84, but not every slice is like the mean: 2 of 3 slices are above 0.9 and the worst (c) reaches 0.60, where the predicted and the true lung overlap on 60 % of their union. Look at it below: where are its errors?'
    """
    ious = np.asarray(ious, dtype=float)
    ious = ious[np.isfinite(ious)]
    if ious.size == 0:
        return None
    worst = int(np.argmin(ious))
    name = f" ({names[worst]})" if names is not None and len(names) == len(ious) else ""
    above = int((ious > 0.9).sum())
    return (f"Mean IoU {ious.mean():.2f}, but not every slice is like the mean: {above} of {ious.size} slices are above 0.9 "
            f"and the worst{name} reaches {ious[worst]:.2f}, where the predicted and the true lung overlap on "
            f"{_pct(ious[worst])} of their union. Look at it below: where are its errors?")


def sparse_reading(label_fraction: float, voxel_fraction: float, iou: float) -> str | None:
    """What sparse labels bought.

    Examples
    --------
    >>> sparse_reading(0.3, 0.66, 0.88)
    'Labelling 30 % of the slices along each axis (66 % of the voxels carry a label) gave a test IoU of 0.88. Run the label-fraction experiment to see how close it comes to full labels.'
    """
    if any(v is None or not math.isfinite(v) for v in (label_fraction, voxel_fraction, iou)):
        return None
    return (f"Labelling {_pct(label_fraction)} of the slices along each axis ({_pct(voxel_fraction)} of the voxels carry a "
            f"label) gave a test IoU of {iou:.2f}. Run the label-fraction experiment to see how close it comes to full labels.")


# The course's questions, at the step where they belong: {key: (question, answer)}.
QUESTIONS = {
    "imbalance": (
        "Why is imbalanced data so common in health care, and what does it break?",
        "Most people screened are healthy: disease is the rare class. A model trained on such data can reach a high "
        "accuracy by always answering 'healthy', and learns little about the rare class it is there to find. "
        "Balanced sampling (or class weights) makes both classes count, and accuracy must then be read with "
        "sensitivity and specificity.",
    ),
    "test_set": (
        "Why is the test set touched only at the very end?",
        "Every choice made while looking at a set (epochs, learning rate, threshold) fits the model a little to that "
        "set. The validation set absorbs those choices; the test set, used once, is the only honest estimate of how "
        "the model does on patients it has never seen.",
    ),
    "learning_rate": (
        "What did changing the learning rate do, and why?",
        "The learning rate scales every step of the optimiser. Too large (0.1 here) and the weights jump past every "
        "minimum: the loss stalls or explodes and the model ends up giving one answer for everything. Too small and it "
        "barely moves in the epochs you gave it. Compare the loss curves of the runs.",
    ),
    "auc": (
        "What does the AUC mean?",
        "Pick one photo with referable DR and one without, at random: the AUC is the chance that the model scores the "
        "first one higher. It summarises every threshold at once, which is why it does not depend on the operating "
        "point you choose below.",
    ),
    "screening": (
        "Why would a screening programme choose a high-sensitivity operating point?",
        "A missed case of referable DR can mean lost sight; a false alarm costs one visit to a specialist who finds "
        "nothing. Screening therefore trades specificity for sensitivity, and accepts that at a low prevalence most "
        "referrals are false alarms (watch the PPV).",
    ),
    "sparse_labels": (
        "How close do sparse labels come to full labels?",
        "Labelling every slice of a CT volume takes hours. Because neighbouring slices look alike, a 3D network trained "
        "on a fraction of labelled slices (the loss ignores the rest) often comes close to full labels: the "
        "experiment plots test IoU against the fraction, so you can see where the curve flattens.",
    ),
    "iou": (
        "What does an IoU of 0.6 look like?",
        "IoU is the overlap of predicted and true lung divided by their union. At 0.6 a large part of the union is "
        "error: a missing lobe edge, a leak into the airway or the heart. Pick a slice of that IoU below and look at "
        "the red and blue fringes.",
    ),
}


def question(key: str, *, tried: dict | None = None) -> tuple[str, str]:
    """The course's question ``key`` and its answer, worded for what the student has done: a question about changing
    a setting the student has not changed yet invites them to try it instead (``tried``: {setting: the values of it
    among the student's finished runs of the task}).

    Examples
    --------
    >>> question("learning_rate", tried={"learning_rate": [0.001]})[0]
    'What would a learning rate of 0.1 do? Try it and compare'
    >>> question("learning_rate", tried={"learning_rate": [0.001, 0.1]})[0]
    'What did changing the learning rate do, and why?'
    """
    asked, answer = QUESTIONS[key]
    if key == "learning_rate":
        rates = sorted({float(r) for r in (tried or {}).get("learning_rate", []) if isinstance(r, (int, float))})
        if len(rates) < 2:
            other = 1e-3 if rates and rates[0] >= 0.01 else 0.1
            return (f"What would a learning rate of {other:g} do? Try it and compare",
                    f"You have trained at one learning rate so far. Train the same settings once more at {other:g} and "
                    "compare the loss curves (the diagnosis under Results lays them over each other). "
                    + answer.split(". Compare")[0] + ".")
    return asked, answer
