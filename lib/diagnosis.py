"""Reading a finished or stopped run back to the student: what went wrong, in their own numbers.

Pure functions over a run's history (one row per epoch) and its test predictions. Each returns a
:class:`Finding` or None; a task module combines the ones that apply to it (``Task.diagnose``), and
:func:`diagnose_run` runs them for a saved run. The command line prints the same findings in its JSON.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Finding:
    """One thing to tell the student about a run.

    code : a stable name ("diverged", "one_class", "no_lung", "overfitting", "below_chance", ...)
    title : a few words ("Worse than chance")
    text : what happened and what it means, with the run's own numbers
    severity : "problem" (the results cannot be trusted as they are) or "notice" (worth knowing)
    """

    code: str
    title: str
    text: str
    severity: str = "problem"

    def to_dict(self) -> dict:
        return asdict(self)


def _column(history: pd.DataFrame, name: str) -> np.ndarray:
    if history is None or name not in getattr(history, "columns", ()):
        return np.zeros(0)
    return pd.to_numeric(history[name], errors="coerce").to_numpy(dtype=float)


def diverged(history: pd.DataFrame, *, error: str | None = None, absurd: float = 5.0) -> Finding | None:
    """The training loss became NaN / infinite, exploded (a cross-entropy above ``absurd``: guessing 50 / 50
    costs 0.69), or ended far above where it started.

    Examples
    --------
    >>> diverged(pd.DataFrame({"epoch": [1, 2], "loss": [0.7, float("nan")]})).code
    'diverged'
    >>> diverged(pd.DataFrame({"epoch": [1, 2], "loss": [0.7, 0.5]})) is None
    True
    """
    loss = _column(history, "loss")
    bad = np.flatnonzero(~np.isfinite(loss))
    if bad.size or (error and "diverged" in error):
        epoch = int(bad[0]) + 1 if bad.size else len(loss) + 1
        return Finding("diverged", "The loss went to NaN",
                       f"At epoch {epoch} the training loss stopped being a number: the weights blew up. Each step moved "
                       "them too far, usually because the learning rate is too large. Try one ten times smaller.")
    if loss.size and np.max(loss) > absurd:
        epoch = int(np.argmax(loss)) + 1
        return Finding("diverged", "The loss exploded",
                       f"At epoch {epoch} the training loss was {np.max(loss):.3g}, where guessing 50 / 50 costs 0.69: the "
                       "weights took steps so large that the model's outputs were pushed to confident, wrong extremes. "
                       "The learning rate is too large; try one ten or a hundred times smaller.")
    if loss.size >= 3 and loss[-1] > 3 * np.min(loss) and loss[-1] > loss[0]:
        return Finding("diverged", "The loss went up",
                       f"The training loss ended at {loss[-1]:.3g}, above where it started ({loss[0]:.3g}) and far above its "
                       f"lowest ({np.min(loss):.3g}): training diverged. A smaller learning rate usually fixes this.")
    return None


def not_learning(history: pd.DataFrame, *, min_epochs: int = 3, tolerance: float = 0.02) -> Finding | None:
    """Over several epochs the training loss hardly moved (stuck): too large a learning rate (stuck at chance)
    or too small a one, or a model that cannot fit the data."""
    loss = _column(history, "loss")
    loss = loss[np.isfinite(loss)]
    if loss.size < min_epochs or np.min(loss) < loss[0] * (1 - tolerance):
        return None
    return Finding("not_learning", "The loss did not go down",
                   f"In {loss.size} epochs the training loss went from {loss[0]:.3f} to {loss[-1]:.3f} and never fell below "
                   f"{np.min(loss):.3f}: the model did not learn. With a learning rate that is too large the weights jump "
                   "around and land on 'always the same answer'; with one that is too small they barely move.")


def overfitting(history: pd.DataFrame, *, patience: int = 2, gap: float = 0.1) -> Finding | None:
    """Validation stopped improving while training went on: names the epoch with the best validation loss.

    Examples
    --------
    >>> h = pd.DataFrame({"epoch": [1, 2, 3, 4, 5], "loss": [.6, .4, .3, .2, .1], "val_loss": [.6, .5, .55, .6, .7],
    ...                   "accuracy": [.7, .8, .9, .95, 1.0], "val_accuracy": [.7, .75, .74, .73, .72]})
    >>> overfitting(h).text.split(":")[0]
    'Validation loss was lowest at epoch 2 (0.500) and rose for the 3 epochs after it'
    """
    val, train = _column(history, "val_loss"), _column(history, "loss")
    if val.size < patience + 2 or not np.isfinite(val).all():
        return None
    best = int(np.argmin(val))
    after = val.size - 1 - best
    train_acc, val_acc = _column(history, "accuracy"), _column(history, "val_accuracy")
    acc_gap = float(train_acc[-1] - val_acc[-1]) if train_acc.size and val_acc.size else 0.0
    if after < patience or val[-1] <= val[best] * 1.05 or train[-1] >= train[best]:
        return None
    extra = (f" Training accuracy is {train_acc[-1]:.2f} against {val_acc[-1]:.2f} on validation." if acc_gap > gap else "")
    return Finding("overfitting", f"Overfitting from epoch {best + 2}",
                   f"Validation loss was lowest at epoch {best + 1} ({val[best]:.3f}) and rose for the {after} epochs after it: "
                   f"the model went on fitting the training set (loss {train[best]:.3f} to {train[-1]:.3f}) while getting worse "
                   f"on data it had not seen.{extra} Fewer epochs, more augmentation or more data would help.", "notice")


def stopped_before_learning(state: str | None, history: pd.DataFrame, *, headline: str | None = None,
                            value: float | None = None, chance: float | None = None) -> Finding | None:
    """A stopped run that finished no epoch, or whose headline result is no better than chance."""
    if state != "stopped":
        return None
    full = history[~history["partial"].astype(bool)] if "partial" in getattr(history, "columns", ()) else history
    if len(full) == 0:
        return Finding("stopped_early", "Stopped before it learned anything",
                       "The run was stopped before it finished a single epoch: its results are those of a model that has "
                       "barely been trained. Let it run longer to see what it can do.")
    if headline and value is not None and chance is not None and math.isfinite(value) and value <= chance:
        return Finding("stopped_early", "Stopped before it learned anything",
                       f"The run was stopped after {len(full)} epoch(s), when its {headline} was {value:.3f}, no better than "
                       f"chance ({chance:g}). Let it run longer.")
    return None


def one_class(scores, labels, *, threshold: float = 0.5, names=("no refer", "refer")) -> Finding | None:
    """The classifier gives (nearly) every test item the same answer, or the very same score.

    Examples
    --------
    >>> one_class([0.2, 0.2, 0.2, 0.2], [0, 1, 0, 1]).title
    'The same score for every photo'
    >>> one_class([0.9, 0.8, 0.7, 0.6], [0, 1, 0, 1]).title
    'One answer for every photo'
    >>> one_class([0.2, 0.8, 0.3, 0.7], [0, 1, 0, 1]) is None
    True
    """
    scores, labels = np.asarray(scores, float), np.asarray(labels)
    if scores.size == 0:
        return None
    if np.ptp(scores) < 1e-6:
        return Finding("one_class", "The same score for every photo",
                       f"Every test photo gets the score {scores[0]:.3f}: the model ignores its input, so no threshold can "
                       "tell the classes apart (the ROC curve is the diagonal, AUC 0.5). This is what a model that learned "
                       "nothing, or whose weights broke, looks like.")
    positive = scores >= threshold
    if positive.all() or (~positive).all():
        answer = names[1] if positive.all() else names[0]
        share = float(np.mean(labels == (1 if positive.all() else 0)))
        return Finding("one_class", "One answer for every photo",
                       f"At threshold {threshold:g} the model says '{answer}' for all {scores.size} test photos, so it is right "
                       f"for {share:.0%} of them by saying the same thing every time. Look at the AUC: it tells whether the "
                       "scores still rank the photos, with another threshold.")
    return None


def below_chance(auc: float | None, n_test: int | None = None) -> Finding | None:
    """An AUC below 0.5: worse than guessing, and what that means.

    Examples
    --------
    >>> below_chance(0.38, 80).code
    'below_chance'
    >>> below_chance(0.71) is None
    True
    """
    if auc is None or not math.isfinite(auc) or auc >= 0.5:
        return None
    count = f" on {n_test} test photos" if n_test else ""
    return Finding("below_chance", "Worse than chance",
                   f"AUC {auc:.2f}{count}: a random referable photo scores higher than a random non-referable one in only "
                   f"{auc:.0%} of pairs, less often than by guessing (50 %). A model that learned nothing lands near 0.5, "
                   "and with few test photos noise alone can push it below; far below 0.5 would mean the scores are "
                   "backwards. Either way this model has not learned to refer.")


def no_foreground(probs, masks, *, threshold: float = 0.5, what: str = "slice") -> Finding | None:
    """A segmentation that finds no lung anywhere (the background-only trap), or lung nearly everywhere."""
    probs, masks = np.asarray(probs, float), np.asarray(masks)
    if probs.size == 0 or not (masks > 0).any():
        return None
    predicted = probs >= threshold
    if not predicted.any():
        share = float(np.mean(masks == 0))
        return Finding("no_lung", "No lung on any test " + what,
                       f"The model predicts no lung at all, on every test {what}. Most pixels are not lung ({share:.0%} here), "
                       f"so 'nothing is lung' already scores {share:.0%} pixel accuracy, and a model that has not trained long "
                       "enough (or with too large a learning rate) settles there. IoU counts only the lung: 0.")
    if predicted.mean() > 0.9 and (masks > 0).mean() < 0.6:
        return Finding("all_lung", "Lung nearly everywhere",
                       f"The model marks {predicted.mean():.0%} of all pixels as lung, where {float((masks > 0).mean()):.0%} are: "
                       "it has not learned where the lungs end.")
    return None


def combine(history: pd.DataFrame, status: dict, specific: list, **stopped) -> list[Finding]:
    """The findings every task shares around the task's own (``specific``), in the order a student should read
    them: the loss first, then the results, then overfitting and early stops. ``stopped`` goes to
    :func:`stopped_before_learning` (headline, value, chance)."""
    findings = [diverged(history, error=status.get("error")), not_learning(history), *specific,
                overfitting(history), stopped_before_learning(status.get("state"), history, **stopped)]
    return [f for f in findings if f is not None]


def diagnose_run(run) -> list[Finding]:
    """Every finding for a saved run (a :class:`lib.runs.store.Run`), through its task's ``diagnose``."""
    from lib import tasks

    try:
        task = tasks.get(run.summary.task)
    except KeyError:
        return []
    try:
        predictions = run.predictions()
    except ValueError:
        predictions = None
    findings = task.diagnose(history=run.history, predictions=predictions, metrics=run.metrics, status=run.status)
    return [f for f in findings if f is not None]
