"""Reading a finished or stopped run back to the student: what went wrong, in their own numbers.

Pure functions over a run's history (one row per epoch) and its test predictions. Each returns a
:class:`Finding` or None; a task module combines the ones that apply to it (``Task.diagnose``), and
:func:`diagnose_run` runs them for a saved run. The command line prints the same findings in its JSON.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Finding:
    """One thing to tell the student about a run.

    code : a stable name ("diverged", "one_class", "no_lung", "overfitting", "below_chance", ...)
    title : a few words ("Worse than chance")
    text : what happened and what it means, with the run's own numbers
    severity : "problem" (the results cannot be trusted as they are) or "notice" (worth knowing)
    compare : a setting (e.g. "learning_rate"): the page offers the student's runs with other values of it, overlaid
    suggest : settings worth trying next, e.g. {"learning_rate": 0.001}
    """

    code: str
    title: str
    text: str
    severity: str = "problem"
    compare: str | None = None  # a setting whose other values, in the student's other runs, are worth comparing
    suggest: dict = field(default_factory=dict)  # settings to try next ({"learning_rate": 0.001})

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


def noise(values) -> float:
    """The epoch-to-epoch noise of a curve: the standard deviation of its values around a smooth trend, estimated
    robustly from second differences (for white noise, var(v[i+1] - 2 v[i] + v[i-1]) = 6 sigma^2; the median absolute
    value times 1.4826 estimates a standard deviation). 0 with fewer than 3 values.

    Examples
    --------
    >>> noise([0.5, 0.5, 0.5, 0.5]), round(noise([0.5, 0.4, 0.3, 0.2]), 6)
    (0.0, 0.0)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 3:
        return 0.0
    second = v[2:] - 2 * v[1:-1] + v[:-2]
    return float(1.4826 * np.median(np.abs(second)) / math.sqrt(6))


def trend(values) -> tuple[float, float]:
    """(slope per epoch, its standard error) of the least-squares line through ``values``; the error is infinite
    with fewer than 3 values (a line through two points says nothing about noise).

    Examples
    --------
    >>> trend([1.0, 0.9, 0.8, 0.7])
    (-0.1, 0.0)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return 0.0, math.inf
    x = np.arange(v.size, dtype=float)
    x -= x.mean()
    slope = float((x * (v - v.mean())).sum() / (x * x).sum())
    if v.size < 3:
        return slope, math.inf
    residual = v - v.mean() - slope * x
    se = math.sqrt(float((residual ** 2).sum()) / (v.size - 2) / float((x * x).sum()))
    return round(slope, 12), round(se, 12)


def _tail(values: np.ndarray, n: int) -> int:
    """How many epochs count as "the last several": half the run, at least 3, at most 5."""
    return min(n, 5, max(3, n // 2))


def constant_input(spread: float | None, *, items: str = "items") -> Finding | None:
    """The inputs hardly differ from one another (``spread`` from :func:`lib.metrics.baseline.input_spread` below
    0.01): whatever the model or its learning rate, there is nothing to learn from.

    Examples
    --------
    >>> constant_input(0.0, items="photos").title
    'The photos are all the same'
    >>> constant_input(0.12) is None
    True
    """
    if spread is None or not math.isfinite(spread) or spread >= CONSTANT_SPREAD:
        return None
    return Finding("constant_input", f"The {items} are all the same",
                   f"The {items} this run trained on hardly differ from one another: across {items}, a pixel varies by "
                   f"{spread:.1%} of the value range on average (real {items} vary by 5 % or more). A model cannot tell "
                   f"{items} apart that look alike, whatever its learning rate: check the data (blank or identical "
                   "files, a scaling that flattened them) before changing the training.")


CONSTANT_SPREAD = 0.01  # below this input spread the inputs are "all the same"


def _cause(*, learning_rate: float | None, usual: tuple[float, float] | None, loss: np.ndarray, chance: float | None,
           spread: float | None, items: str) -> tuple[str, dict]:
    """The likely cause of a run that learned nothing, with its evidence, and the setting to try (possibly empty)."""
    if spread is not None and math.isfinite(spread) and spread < CONSTANT_SPREAD:
        return (f" The likely cause is the data, not the training: the {items} hardly differ from one another "
                f"(spread {spread:.1%}; see the finding about them)."), {}
    if learning_rate is not None and usual is not None and learning_rate > usual[1]:
        reference = chance if chance is not None else float(np.min(loss))
        if loss.size and loss[0] > 1.25 * reference:
            evidence = (f" The evidence is in the first epoch: its loss was {loss[0]:.2f}, far above {reference:.2f}. The "
                        "first steps were so large that they threw the weights to confident, wrong answers; the model then "
                        "settled on giving every item the same answer, where no step can find a way down.")
        else:
            evidence = " From the first epoch on, the loss never went below that value: the steps were too large to settle anywhere better."
        suggestion = usual[1]
        return (f" The learning rate, {learning_rate:g}, is above the usual range for this task ({usual[0]:g} to "
                f"{usual[1]:g}).{evidence} Try a smaller learning rate first, for example {suggestion:g}, and compare the "
                "loss curves."), {"learning_rate": suggestion}
    where = f" ({learning_rate:g}) is within the usual range for this task" if learning_rate is not None and usual is not None \
        and usual[0] <= learning_rate <= usual[1] else ""
    if where:
        return (f" The learning rate{where}, so look elsewhere: do the labels match the {items} (labels shuffled against "
                f"their files give labels no picture can predict), do the {items} vary, is the model large enough "
                "(filters, depth), and did it train long enough?"), {}
    return (" With a learning rate that is too large the weights jump around and land on 'always the same answer'; with one "
            "that is too small they barely move in the epochs given."), {}


def stuck_at_chance(history: pd.DataFrame, *, chance_loss: float | None, positive_share: float | None = None,
                    learning_rate: float | None = None, usual_learning_rates: tuple[float, float] | None = None,
                    input_spread: float | None = None, items: str = "items", unit: str | None = None,
                    positive: str = "positive") -> Finding | None:
    """The training loss stayed at the loss of a constant prediction (the model learned nothing about its input).

    The rule: over the last several epochs (half the run, 3 to 5), the training loss is, within its noise, the loss
    of answering the training set's share of positives for every item (``chance_loss``; ln 2 = 0.693 for a balanced
    set): its mean is within 5 % of that value (or twice its standard error, if larger), no epoch is more than 8 %
    (or three times the noise) away, and it is not falling (a slope that is not significantly below 0, or a drop over
    those epochs smaller than 1 % of the chance value). A slowly learning run just below chance is therefore not stuck,
    and a run that sits a few per cent below chance has learned next to nothing, which the text says.

    ``unit`` is what one answer is about ("pixel" for a segmentation; default: one of the ``items``) and ``positive``
    what the positive class is called ("referable", "lung").

    Examples
    --------
    >>> h = pd.DataFrame({"epoch": [1, 2, 3, 4], "loss": [1.81, 0.694, 0.693, 0.6935]})
    >>> stuck_at_chance(h, chance_loss=0.6931, positive_share=0.5, learning_rate=0.1, usual_learning_rates=(1e-4, 1e-3)).code
    'stuck_at_chance'
    >>> stuck_at_chance(h.assign(loss=[0.69, 0.6, 0.5, 0.4]), chance_loss=0.6931) is None
    True
    """
    loss = _column(history, "loss")
    loss = loss[np.isfinite(loss)]
    if chance_loss is None or not math.isfinite(chance_loss) or chance_loss <= 0 or loss.size < 3:
        return None
    k = _tail(loss, loss.size)
    tail = loss[-k:]
    slope, se = trend(tail)
    centred = np.arange(k) - (k - 1) / 2
    sigma = se * math.sqrt(float((centred ** 2).sum()))  # the tail's scatter around its own line
    near = abs(float(tail.mean()) - chance_loss) <= max(0.05 * chance_loss, 2 * sigma / math.sqrt(k))
    within = float(np.max(np.abs(tail - chance_loss))) <= max(0.08 * chance_loss, 3 * sigma)
    falling = slope < -2 * se and -slope * (k - 1) > 0.01 * chance_loss
    if not (near and within) or falling:
        return None
    balanced = positive_share is not None and abs(positive_share - 0.5) < 0.02
    what = unit or items.rstrip("s")
    share = f"{positive_share:.2f}" if positive_share is not None else "the same probability"
    whose = f"the share of {positive} {what}s in the training set"
    named = " = ln 2" if balanced else ""
    mean = float(tail.mean())
    level = "at" if abs(mean - chance_loss) <= 0.01 * chance_loss else "next to"
    amount = "nothing" if level == "at" else "next to nothing"
    text = (f"For the last {k} epochs the training loss stayed {level} {chance_loss:.3f}{named} (it averaged {mean:.3f}): "
            f"the loss of a model that answers {share} for every {what} ({whose}), whatever it sees. So the model "
            f"learned {amount} about the {items}: it gives about the same answer for all of them.")
    cause, suggest = _cause(learning_rate=learning_rate, usual=usual_learning_rates, loss=loss, chance=chance_loss,
                            spread=input_spread, items=items)
    return Finding("stuck_at_chance", "The loss is stuck at chance", text + cause, compare="learning_rate",
                   suggest=suggest)


def not_learning(history: pd.DataFrame, *, min_epochs: int = 3, tolerance: float = 0.02, learning_rate: float | None = None,
                 usual_learning_rates: tuple[float, float] | None = None, input_spread: float | None = None,
                 items: str = "items") -> Finding | None:
    """Over several epochs the training loss never fell below its first value by more than ``tolerance`` (a share):
    too large a learning rate (stuck) or too small a one, a model that cannot fit the data, or data without a signal."""
    loss = _column(history, "loss")
    loss = loss[np.isfinite(loss)]
    if loss.size < min_epochs or np.min(loss) < loss[0] * (1 - tolerance):
        return None
    cause, suggest = _cause(learning_rate=learning_rate, usual=usual_learning_rates, loss=loss, chance=None,
                            spread=input_spread, items=items)
    return Finding("not_learning", "The loss did not go down",
                   f"In {loss.size} epochs the training loss went from {loss[0]:.3f} to {loss[-1]:.3f} and never fell below "
                   f"{np.min(loss):.3f}: the model did not learn.{cause}", compare="learning_rate", suggest=suggest)


def _loss_curve(history: pd.DataFrame) -> tuple[str, np.ndarray]:
    """The validation loss where there is one, else the training loss, with its name for people."""
    val = _column(history, "val_loss")
    if val.size and np.isfinite(val).any():
        return "validation loss", val
    return "training loss", _column(history, "loss")


def overfitting(history: pd.DataFrame, *, patience: int = 3, gap: float = 0.1) -> Finding | None:
    """Validation loss rose beyond its own noise after its lowest stretch, while training went on improving.

    The rule: sigma is the validation curve's epoch-to-epoch noise (:func:`noise`, at least 0.5 % of its lowest
    value), so the mean of w epochs has a standard error of sigma * sqrt(1 / w), where w is ``patience`` (2 for runs
    shorter than 2 * patience + 1 epochs; none under 5 epochs). Take the stretch of w consecutive epochs with the
    lowest mean validation loss; it must end at least w epochs before the last. Overfitting when the mean of the last
    w epochs is above that lowest mean by more than 2.5 standard errors of their difference
    (2.5 * sigma * sqrt(2 / w)), the last epoch is above it by more than
    sigma, and the training loss at the end is below its value at the best epoch by more than its own noise. A run
    stopped while its validation loss still falls is not overfitting (:func:`still_learning` says so instead), and a
    flat, noisy validation curve is not either: its lowest stretch is low by chance, by less than that margin.

    Examples
    --------
    >>> h = pd.DataFrame({"epoch": [1, 2, 3, 4, 5, 6], "loss": [.6, .4, .3, .2, .1, .05],
    ...                   "val_loss": [.6, .5, .52, .6, .7, .75],
    ...                   "accuracy": [.7, .8, .9, .95, 1.0, 1.0], "val_accuracy": [.7, .75, .74, .73, .72, .7]})
    >>> overfitting(h).text.split(":")[0]
    'Validation loss was lowest at epoch 2 (0.500) and rose for the 4 epochs after it'
    """
    val, train = _column(history, "val_loss"), _column(history, "loss")
    n = val.size
    if n < 5 or not np.isfinite(val).all() or train.size != n or not np.isfinite(train).all():
        return None
    width = min(patience, (n - 1) // 2)  # a short run compares stretches of 2 epochs
    windows = np.convolve(val, np.ones(width) / width, mode="valid")  # windows[i]: mean of epochs i .. i+width-1
    start = int(np.argmin(windows[: n - 2 * width + 1]))  # the lowest stretch, ending >= width epochs early
    lowest = float(windows[start])
    best = start + int(np.argmin(val[start:start + width]))
    sigma = max(noise(val), 0.005 * abs(lowest))
    rise = float(windows[-1]) - lowest
    margin = 2.5 * sigma * math.sqrt(2 / width)
    still_fitting = train[-1] < train[best] - max(noise(train), 1e-6)
    if rise <= margin or val[-1] <= lowest + sigma or not still_fitting:
        return None
    after = n - 1 - best
    train_acc, val_acc = _column(history, "accuracy"), _column(history, "val_accuracy")
    acc_gap = float(train_acc[-1] - val_acc[-1]) if train_acc.size and val_acc.size else 0.0
    extra = (f" Training accuracy is {train_acc[-1]:.2f} against {val_acc[-1]:.2f} on validation." if acc_gap > gap else "")
    return Finding("overfitting", f"Overfitting from epoch {best + 2}",
                   f"Validation loss was lowest at epoch {best + 1} ({val[best]:.3f}) and rose for the {after} epochs after it: "
                   f"the model went on fitting the training set (loss {train[best]:.3f} to {train[-1]:.3f}) while getting worse "
                   f"on data it had not seen. The rise (to {val[-1]:.3f} at the last epoch) is larger than the curve's "
                   f"epoch-to-epoch noise (about {sigma:.3f}).{extra} Fewer epochs, more augmentation or more data would "
                   "help.", "notice")


def still_learning(history: pd.DataFrame, *, state: str | None = None, budget_cut: str | None = None) -> Finding | None:
    """The loss was still falling when training ended: more epochs would likely help.

    The rule: over the last several epochs (half the run, 3 to 5) the validation loss (the training loss without
    validation) falls with a slope more than twice its standard error below 0, and the last epoch is within the curve's
    noise of its lowest value (it has not turned back up).

    Examples
    --------
    >>> h = pd.DataFrame({"epoch": [1, 2, 3, 4, 5], "loss": [.7, .6, .5, .45, .4], "val_loss": [.7, .62, .55, .5, .46]})
    >>> still_learning(h, state="stopped").title
    'Stopped while still learning'
    """
    name, curve = _loss_curve(history)
    curve = curve[np.isfinite(curve)]
    if curve.size < 3:
        return None
    k = _tail(curve, curve.size)
    slope, se = trend(curve[-k:])
    lowest = float(np.min(curve))
    if not (slope < 0 and slope < -2 * se) or curve[-1] > lowest + max(noise(curve), 1e-9):
        return None
    if budget_cut:
        title, ended = "The time budget ended it while still learning", "when the time budget ended the run"
    elif state == "stopped":
        title, ended = "Stopped while still learning", "when the run was stopped"
    else:
        title, ended = "Still learning at the last epoch", "at the last epoch"
    return Finding("still_learning", title,
                   f"The {name} was still falling {ended}: from {curve[-k]:.3f} to {curve[-1]:.3f} over the last {k} "
                   f"epochs (about {-slope:.3f} per epoch), lowest at the last one. The model had not finished learning: "
                   "more epochs (or a longer time budget) would likely improve it.", "notice")


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


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def combine(history: pd.DataFrame, status: dict, specific: list, *, config: dict | None = None, items: str = "items",
            unit: str | None = None, positive: str = "positive", usual_learning_rates: tuple[float, float] | None = None,
            **stopped) -> list[Finding]:
    """The findings every task shares around the task's own (``specific``), in the order a student should read
    them: the data first, then the loss, then the results, then overfitting, still learning and early stops.

    ``status`` may carry what the job recorded about the training data (``chance_loss``, ``positive_share``,
    ``input_spread``: :mod:`lib.metrics.baseline`) and a time budget's cut (``budget_cut``); ``config`` the run's
    settings (its learning rate); ``usual_learning_rates`` is the task's usual range; ``items``, ``unit`` and
    ``positive`` word the texts (:func:`stuck_at_chance`); ``stopped`` goes to
    :func:`stopped_before_learning` (headline, value, chance)."""
    config = config or {}
    spread, learning_rate = _number(status.get("input_spread")), _number(config.get("learning_rate"))
    broke = diverged(history, error=status.get("error"))
    stuck = None if broke else stuck_at_chance(
        history, chance_loss=_number(status.get("chance_loss")), positive_share=_number(status.get("positive_share")),
        learning_rate=learning_rate, usual_learning_rates=usual_learning_rates, input_spread=spread, items=items,
        unit=unit, positive=positive)
    flat = None if broke or stuck else not_learning(history, learning_rate=learning_rate,
                                                     usual_learning_rates=usual_learning_rates, input_spread=spread,
                                                     items=items)
    findings = [constant_input(spread, items=items), broke, stuck, flat, *specific, overfitting(history),
                None if broke or stuck or flat else still_learning(history, state=status.get("state"),
                                                                   budget_cut=status.get("budget_cut")),
                stopped_before_learning(status.get("state"), history, **stopped)]
    return [f for f in findings if f is not None]


def diagnose_run(run, task) -> list[Finding]:
    """Every finding for a saved run (a :class:`lib.runs.store.Run`) of ``task``, through the task's ``diagnose``."""
    try:
        predictions = run.predictions()
    except ValueError:
        predictions = None
    findings = task.diagnose(history=run.history, predictions=predictions, metrics=run.metrics, status=run.status,
                             config=run.config)
    return [f for f in findings if f is not None]
