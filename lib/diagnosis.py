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

from lib.metrics.learning import OVERFITTING, STILL_LEARNING, noise, phase, tail_length, trend
from lib.metrics.roc import auc_standard_error


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


def _tail(values: np.ndarray, n: int) -> int:
    """How many epochs count as "the last several": half the run, at least 3, at most 5."""
    return tail_length(n)


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
                    positive: str = "positive", test_at_chance: bool | None = None) -> Finding | None:
    """The training loss stayed at the loss of a constant prediction (the model learned nothing about its input),
    and the test results agree.

    The rule: sigma is the training loss's epoch-to-epoch noise over the whole run (:func:`noise`). Over the last
    several epochs (half the run, 3 to 5), the training loss is, within that noise, the loss of answering the training
    set's share of positives for every item (``chance_loss``; ln 2 = 0.693 for a balanced set): its mean is within
    2 % of that value or twice its standard error (2 sigma / sqrt(epochs)), whichever is larger (5 % when the test
    figures agree that the model guesses: ``test_at_chance`` True); no epoch is more than 5 % (8 %) or three sigma
    away; and it is not falling (a slope that is not significantly below 0, or a drop over
    those epochs smaller than 1 % of the chance value). And the test figures must not say otherwise:
    ``test_at_chance`` (:func:`classifier_at_chance`, :func:`segmentation_at_chance`) False, i.e. the test set shows the
    model learned, means not stuck, whatever the loss; None (no test figures) leaves the loss to decide.

    ``unit`` is what one answer is about ("pixel" for a segmentation; default: one of the ``items``) and ``positive``
    what the positive class is called ("referable", "lung").

    Examples
    --------
    >>> h = pd.DataFrame({"epoch": [1, 2, 3, 4], "loss": [1.81, 0.694, 0.693, 0.6935]})
    >>> stuck_at_chance(h, chance_loss=0.6931, positive_share=0.5, learning_rate=0.1, usual_learning_rates=(1e-4, 1e-3)).code
    'stuck_at_chance'
    >>> stuck_at_chance(h, chance_loss=0.6931, test_at_chance=False) is None  # the test AUC says it learned
    True
    >>> stuck_at_chance(h.assign(loss=[0.69, 0.6, 0.5, 0.4]), chance_loss=0.6931) is None
    True
    """
    if test_at_chance is False:
        return None
    loss = _column(history, "loss")
    loss = loss[np.isfinite(loss)]
    if chance_loss is None or not math.isfinite(chance_loss) or chance_loss <= 0 or loss.size < 3:
        return None
    k = _tail(loss, loss.size)
    tail = loss[-k:]
    slope, se = trend(tail)
    sigma = noise(loss)
    # the loss alone must be within its noise of the chance line; with the test figures agreeing (guessing could have
    # given them), a loss within 5 % of it is close enough (a model that learned as much as 0.628 against 0.693 does
    # not pass either way: its test AUC shows it)
    close = 0.05 * chance_loss if test_at_chance else max(0.02 * chance_loss, 2 * sigma / math.sqrt(k))
    near = abs(float(tail.mean()) - chance_loss) <= max(close, 2 * sigma / math.sqrt(k))
    within = float(np.max(np.abs(tail - chance_loss))) <= max((0.08 if test_at_chance else 0.05) * chance_loss,
                                                               3 * sigma)
    falling = slope < -2 * se and -slope * (k - 1) > 0.01 * chance_loss
    if not (near and within) or falling:
        return None
    balanced = positive_share is not None and abs(positive_share - 0.5) < 0.02
    what = unit or items.rstrip("s")
    share = f"{positive_share:.2f}" if positive_share is not None else "the same probability"
    whose = f"the share of {positive} {what}s in the training set"
    named = " = ln 2" if balanced else ""
    level = "at" if abs(float(tail.mean()) - chance_loss) <= 0.01 * chance_loss else "next to"
    amount = "nothing" if level == "at" else "next to nothing"
    first = loss.size - k + 1
    text = (f"From epoch {first} to epoch {loss.size} the training loss stayed {level} the dotted chance line, "
            f"{chance_loss:.3f}{named} (it went from {tail[0]:.3f} to {tail[-1]:.3f}): the loss of a model that answers "
            f"{share} for every {what} ({whose}), whatever it sees. So the model learned {amount} about the {items}: it "
            "gives about the same answer for all of them, and the test results agree.")
    cause, suggest = _cause(learning_rate=learning_rate, usual=usual_learning_rates, loss=loss, chance=chance_loss,
                            spread=input_spread, items=items)
    return Finding("stuck_at_chance", "The loss is stuck at chance", text + cause, compare="learning_rate",
                   suggest=suggest)


CHANCE_MARGIN = 0.1  # a test AUC (or IoU) this close to a constant prediction's is "at chance" (a bootstrap-ish margin)
SAME_SCORE = 0.01  # test scores that all lie within this of one another are one answer for all


def classifier_at_chance(auc: float | None, scores=None, labels=None, *, margin: float = CHANCE_MARGIN) -> bool | None:
    """Whether a classifier's test results look like a constant prediction's: about the same score for every item
    (they differ by less than ``SAME_SCORE``: one answer for all, whatever their order), or an AUC that guessing could
    have given on this test set: with the ``labels``, its 95 % interval reaches 0.5 (Hanley and McNeil's standard
    error, 1982: on 30 photos an AUC of 0.64 is no evidence of learning, on 80 an AUC of 0.80 is); without them, an AUC
    below 0.5 + ``margin``. None when there is nothing to judge by.

    Examples
    --------
    >>> classifier_at_chance(0.53), classifier_at_chance(0.796), classifier_at_chance(None)
    (True, False, None)
    >>> classifier_at_chance(float("nan"), [0.4, 0.4, 0.4], [0, 1, 0]), classifier_at_chance(0.8, [0.501, 0.503], [0, 1])
    (True, True)
    >>> few, many = [0, 1] * 15, [0, 1] * 40
    >>> classifier_at_chance(0.644, np.linspace(0, 1, 30), few), classifier_at_chance(0.796, np.linspace(0, 1, 80), many)
    (True, False)
    """
    if scores is not None and np.asarray(scores).size and np.ptp(np.asarray(scores, float)) < SAME_SCORE:
        return True
    value = _number(auc)
    if value is None:
        return None
    if labels is not None:
        truth = np.asarray(labels).ravel()
        positives, negatives = int(np.sum(truth == 1)), int(np.sum(truth == 0))
        if positives and negatives:
            return value - 1.96 * auc_standard_error(value, positives, negatives) <= 0.5
    return value < 0.5 + margin


def segmentation_at_chance(probs, masks, *, threshold: float = 0.5, margin: float = CHANCE_MARGIN) -> bool | None:
    """Whether a segmentation's test results look like a constant prediction's: its IoU over every test pixel (or
    voxel) is within ``margin`` of what "nothing is lung" (IoU 0) or "everything is lung" (IoU = the share of lung)
    scores. None without predictions or without any lung in the truth.

    Examples
    --------
    >>> masks = np.array([[0, 0, 1, 1]] * 4)
    >>> segmentation_at_chance(np.zeros((4, 4)), masks), segmentation_at_chance(masks * 0.9, masks)
    (True, False)
    """
    if probs is None or masks is None:
        return None
    probs, truth = np.asarray(probs, float), np.asarray(masks) > 0
    if probs.shape != truth.shape or not truth.any():
        return None
    predicted = probs >= threshold
    iou = float((predicted & truth).sum() / (predicted | truth).sum())
    return min(iou, abs(iou - float(truth.mean()))) < margin


def not_learning(history: pd.DataFrame, *, min_epochs: int = 3, tolerance: float = 0.02, learning_rate: float | None = None,
                 usual_learning_rates: tuple[float, float] | None = None, input_spread: float | None = None,
                 items: str = "items", test_at_chance: bool | None = None) -> Finding | None:
    """Over several epochs the training loss never fell below its first value by more than ``tolerance`` (a share):
    too large a learning rate (stuck) or too small a one, a model that cannot fit the data, or data without a signal.
    Not said when the test figures show the model learned (``test_at_chance`` False: it learned within its first
    epoch, as a pretrained backbone can)."""
    if test_at_chance is False:
        return None
    loss = _column(history, "loss")
    loss = loss[np.isfinite(loss)]
    if loss.size < min_epochs or np.min(loss) < loss[0] * (1 - tolerance):
        return None
    cause, suggest = _cause(learning_rate=learning_rate, usual=usual_learning_rates, loss=loss, chance=None,
                            spread=input_spread, items=items)
    return Finding("not_learning", "The loss did not go down",
                   f"In {loss.size} epochs the training loss went from {loss[0]:.3f} to {loss[-1]:.3f} and never fell below "
                   f"{np.min(loss):.3f}: the model did not learn.{cause}", compare="learning_rate", suggest=suggest)


def overfitting(history: pd.DataFrame, *, patience: int = 3, gap: float = 0.1) -> Finding | None:
    """Validation loss rose beyond its own noise after its lowest stretch, while training went on improving.

    The rule is :func:`lib.metrics.learning.phase`'s, the one that also decides :func:`still_learning`, so a run is
    never both: in short, the mean of the last few epochs' validation loss is above its lowest stretch's by more
    than its noise allows, the last epoch is not the lowest, and the training loss kept falling. A run stopped while
    its validation loss still falls is not overfitting, and a flat, noisy validation curve is not either.

    Examples
    --------
    >>> h = pd.DataFrame({"epoch": [1, 2, 3, 4, 5, 6], "loss": [.6, .4, .3, .2, .1, .05],
    ...                   "val_loss": [.6, .5, .52, .6, .7, .75],
    ...                   "accuracy": [.7, .8, .9, .95, 1.0, 1.0], "val_accuracy": [.7, .75, .74, .73, .72, .7]})
    >>> overfitting(h).text.split(":")[0]
    'Validation loss was lowest at epoch 2 (0.500) and rose for the 4 epochs after it'
    """
    val, train = _column(history, "val_loss"), _column(history, "loss")
    verdict = phase(val, train, patience=patience)
    if verdict.name != OVERFITTING:
        return None
    n, best = val.size, verdict.best
    after = n - 1 - best
    train_acc, val_acc = _column(history, "accuracy"), _column(history, "val_accuracy")
    acc_gap = float(train_acc[-1] - val_acc[-1]) if train_acc.size and val_acc.size else 0.0
    extra = (f" Training accuracy is {train_acc[-1]:.2f} against {val_acc[-1]:.2f} on validation." if acc_gap > gap else "")
    return Finding("overfitting", f"Overfitting from epoch {best + 2}",
                   f"Validation loss was lowest at epoch {best + 1} ({val[best]:.3f}) and rose for the {after} epochs after it: "
                   f"the model went on fitting the training set (loss {train[best]:.3f} to {train[-1]:.3f}) while getting worse "
                   f"on data it had not seen. The rise (to {val[-1]:.3f} at epoch {n}, the last) is larger than the "
                   f"curve's epoch-to-epoch wobble.{extra} Fewer epochs, more augmentation or more data would help.",
                   "notice")


def still_learning(history: pd.DataFrame, *, state: str | None = None, budget_cut: str | None = None) -> Finding | None:
    """The loss was still falling when training ended: more epochs would likely help.

    The rule is :func:`lib.metrics.learning.phase`'s (the one that also decides :func:`overfitting`): over the last
    several epochs (half the run, 3 to 5) the validation loss (the training loss without validation) falls with a
    slope more than twice its standard error below 0, by more than twice the curve's noise, and the last epoch is
    within that noise of its lowest value (it has not turned back up).

    Examples
    --------
    >>> h = pd.DataFrame({"epoch": [1, 2, 3, 4, 5], "loss": [.7, .6, .5, .45, .4], "val_loss": [.7, .62, .55, .5, .46]})
    >>> still_learning(h, state="stopped").title
    'Stopped while still learning'
    """
    verdict = phase(_column(history, "val_loss"), _column(history, "loss"))
    if verdict.name != STILL_LEARNING:
        return None
    curve, k, name = verdict.curve, verdict.tail, verdict.which
    if budget_cut:
        title, ended = "The time budget ended it while still learning", "when the time budget ended the run"
    elif state == "stopped":
        title, ended = "Stopped while still learning", "when the run was stopped"
    else:
        title, ended = "Still learning at the last epoch", "at the last epoch"
    n = curve.size
    lowest = "lowest at the last one" if int(np.argmin(curve)) == n - 1 else "within its noise of its lowest"
    return Finding("still_learning", title,
                   f"The {name} was still falling {ended}: from {curve[-k]:.3f} at epoch {n - k + 1} to {curve[-1]:.3f} "
                   f"at epoch {n}, {lowest}. The model had not finished learning: more epochs (or a longer time budget) "
                   "would likely improve it.", "notice")


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
            test_at_chance: bool | None = None, **stopped) -> list[Finding]:
    """The findings every task shares around the task's own (``specific``), in the order a student should read
    them: the data first, then the loss, then the results, then overfitting, still learning and early stops.

    ``status`` may carry what the job recorded about the training data (``chance_loss``, ``positive_share``,
    ``input_spread``: :mod:`lib.metrics.baseline`) and a time budget's cut (``budget_cut``); ``config`` the run's
    settings (its learning rate); ``usual_learning_rates`` is the task's usual range; ``items``, ``unit`` and
    ``positive`` word the texts (:func:`stuck_at_chance`); ``test_at_chance`` is whether the test results look like a
    constant prediction's (:func:`classifier_at_chance`, :func:`segmentation_at_chance`; None without them): a run
    whose test results show it learned is never told it learned nothing; ``stopped`` goes to
    :func:`stopped_before_learning` (headline, value, chance). At most one of diverged, stuck at chance and not
    learning is said, and none of them beside overfitting or still learning (their rule: :func:`phase`)."""
    config = config or {}
    spread, learning_rate = _number(status.get("input_spread")), _number(config.get("learning_rate"))
    broke = diverged(history, error=status.get("error"))
    stuck = None if broke else stuck_at_chance(
        history, chance_loss=_number(status.get("chance_loss")), positive_share=_number(status.get("positive_share")),
        learning_rate=learning_rate, usual_learning_rates=usual_learning_rates, input_spread=spread, items=items,
        unit=unit, positive=positive, test_at_chance=test_at_chance)
    flat = None if broke or stuck else not_learning(history, learning_rate=learning_rate,
                                                     usual_learning_rates=usual_learning_rates, input_spread=spread,
                                                     items=items, test_at_chance=test_at_chance)
    failed = broke or stuck or flat
    findings = [constant_input(spread, items=items), broke, stuck, flat, *specific,
                None if failed else overfitting(history),
                None if failed else still_learning(history, state=status.get("state"),
                                                   budget_cut=status.get("budget_cut")),
                stopped_before_learning(status.get("state"), history, **stopped)]
    return [f for f in findings if f is not None]


def diagnose_run(run, task) -> list[Finding]:
    """Every finding for a saved run (a :class:`lib.jobs.folder.store.Run`) of ``task``, through the task's ``diagnose``."""
    try:
        predictions = run.predictions()
    except ValueError:
        predictions = None
    findings = task.diagnose(history=run.history, predictions=predictions, metrics=run.metrics, status=run.status,
                             config=run.config)
    return [f for f in findings if f is not None]
