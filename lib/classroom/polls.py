"""Class polls on the operating point: the lecturer asks, every student answers with a point on the same ROC.

A poll lives on disk beside the runs (``<runs>/.polls/<poll id>/``), so it survives a server restart and is shared
by every app server of a class::

    poll.json                    the question, the run, the prevalence (and costs), open or closed
    answers/<sha256 of owner>.json   one student's latest answer (a second one replaces it)

A poll is on a published run (its id, the run's task) or on a class set that a lecturer saved from the Screening page
(``lib.classroom.sets``: its id ``set:<digest>``, the task ``screening``); both have a ROC and are answered alike.

Every file is written atomically and privately (0600 in 0700 folders) and read back capped and checked: a broken
file is skipped with its reason, never a crash. A student's answer holds the threshold they chose; its figures
(sensitivity, specificity, PPV at the poll's prevalence) are computed here from the run's own test predictions
(or the class set's scores), never taken from the browser.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from lib.atomic import write_json_atomic
from lib.metrics.cost import check_costs, check_prevalence
from lib.metrics.roc import RocCurve, curve_payload, point_on_curve, roc, threshold_for_sensitivity, youden_index
from lib.jobs.folder import files
from lib.jobs.folder.files import read_json
from lib.jobs.folder.store import Run, RunStore, load_predictions
from lib.classroom.sets import SetError, SetStore, is_set_id

FOLDER = ".polls"
POLL_FILE = "poll.json"
ANSWERS = "answers"
QUESTION_CHARS = 300
REASON_CHARS = 200  # "one line": longer is refused with a message, and the page keeps what was typed
_POLL_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
DEFAULT_QUESTION = "Where would you put the threshold to screen for referable DR at this prevalence, and why?"
SET_QUESTION = "Where would you put this screening test's threshold at this prevalence, and why?"
SET_TASK = "screening"  # the task of a poll on a class set: the Screening page answers it


class PollError(ValueError):
    """A poll that cannot be opened, answered or read; the message says why."""


@dataclass(frozen=True)
class Poll:
    poll_id: str
    run_id: str  # a published run's id, or a class set's (``set:<digest>``)
    task: str  # the run's task (its page answers the poll); SET_TASK for a class set
    question: str
    prevalence: float
    opened_by: str
    opened_at: float
    state: str = "open"  # "open" or "closed"
    reveal: bool = False  # on closing: show Youden's point and the rule-out preset beside the class's choices
    closed_why: str | None = None  # closed by the server itself (its run deleted or unpublished)
    costs: tuple[float, float] | None = None  # (a missed referral, an unnecessary one), when the poll fixes them

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def on_set(self) -> bool:
        """Whether the poll is on a class set (else on a published run)."""
        return is_set_id(self.run_id)


@dataclass(frozen=True)
class Answer:
    user: str  # the name shown to the lecturer (never on the projector)
    threshold: float
    sensitivity: float
    specificity: float
    ppv: float  # at the poll's prevalence
    fpr: float
    tpr: float
    reason: str
    at: float


@dataclass
class ClassView:
    """What the lecturer sees of a poll: every answer, the class's median point and the spread."""

    answers: list[Answer]
    median: Answer | None = None
    spread: dict[str, tuple[float, float, float, float, float]] = field(default_factory=dict)  # min, q1, median, q3, max
    youden: Answer | None = None
    rule_out: Answer | None = None  # sensitivity >= 95 %


RULE_OUT_LABEL = "rule-out: sensitivity >= 95 %"


def poll_drawing(curve: RocCurve, view: ClassView, *, prevalence: float) -> dict:
    """What the poll's ROC component draws (:func:`lib.metrics.roc.curve_payload` plus the class's points), giving
    nothing of the answer away before the reveal.

    - ``classPoints``: [fpr, tpr, kind], the class's median ("median") first, so that its ring lies under the
      students' points ("answer");
    - ``handleRing``: the draggable handle sits on the median and is drawn as a ring, never as a dot over the answers;
    - ``youden``: the vertex of Youden's J only once revealed (``view.youden``), else None (not drawn);
    - ``marks``: [fpr, tpr, label] of the revealed presets (the rule-out point), empty before the reveal.
    """
    shown = view.median.threshold if view.median else float(curve.thresholds[0])
    payload = curve_payload(curve, threshold=shown, prevalence=prevalence)
    points = ([[view.median.fpr, view.median.tpr, "median"]] if view.median else [])
    points += [[a.fpr, a.tpr, "answer"] for a in view.answers]
    marks = [[view.rule_out.fpr, view.rule_out.tpr, RULE_OUT_LABEL]] if view.rule_out is not None else []
    return {**payload, "classPoints": points, "handleRing": True,
            "youden": payload["youden"] if view.youden is not None else None, "marks": marks}


@lru_cache(maxsize=32)
def _roc_of(path: str, mtime_ns: int, size: int) -> RocCurve:
    """Any task whose runs score each test item against a 0 / 1 label has a ROC to poll on."""
    predictions = load_predictions(Path(path))
    return roc(predictions["scores"], predictions["labels"])


def _private_dir(path: Path) -> None:
    """Make ``path`` and any missing folder above it, each 0700 (``mkdir(parents=True)`` gives the parents the
    umask's mode)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)


def _text(value, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise PollError(f"{name} must be text, got {type(value).__name__}")
    text = " ".join(value.split())  # one line: newlines and runs of spaces become one space
    if len(text) > limit:
        raise PollError(f"{name} is {len(text)} characters long; at most {limit} fit (shorten it and submit again)")
    return text


def _user_file(owner: str) -> str:
    return hashlib.sha256(owner.encode()).hexdigest()[:32] + ".json"


class PollStore:
    """The polls of one runs folder (the class's)."""

    def __init__(self, runs: RunStore):
        self.runs = runs
        self.root = Path(runs.root) / FOLDER
        self.sets = SetStore(runs.root)  # the class sets a poll may be on, beside the polls

    # -- the lecturer --------------------------------------------------------------------------------------------
    def open(self, run_id: str, *, by: str, question: str | None = None, prevalence: float = 0.2,
             costs: tuple[float, float] | None = None) -> Poll:
        """Open a poll on a published run with a ROC (DR's) or on a class set (``run_id`` ``set:<digest>``, saved
        with ``self.sets.save``); PollError when it cannot be polled on. No question: the default one for either."""
        on_set = is_set_id(run_id)
        question = _text(question or "", "the question", QUESTION_CHARS) or (SET_QUESTION if on_set else DEFAULT_QUESTION)
        try:  # the same rules as the costs on a student's ROC (lib.metrics.cost)
            prevalence = check_prevalence(prevalence)
            costs = None if costs is None else check_costs(*costs)
        except (TypeError, ValueError) as exc:
            raise PollError(f"the poll cannot be opened: {exc}") from None
        if on_set:
            self._curve(run_id)  # the set is there and readable
            task = SET_TASK
        else:
            run = self._published(run_id)
            self._roc(run)  # it has test predictions with both classes
            task = run.summary.task
        poll_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        poll = Poll(poll_id, run_id, task, question, prevalence, by, time.time(), costs=costs)
        _private_dir(self.root / poll_id / ANSWERS)
        self._save(poll)
        return poll

    def close(self, poll_id: str, *, reveal: bool = False, why: str | None = None) -> Poll:
        poll = self.get(poll_id)
        closed = Poll(**{**poll.__dict__, "state": "closed", "reveal": bool(reveal), "closed_why": why})
        self._save(closed)
        return closed

    def polls(self) -> tuple[list[Poll], list[str]]:
        """Every poll, open ones first then newest first, and the folders that could not be read (with why). An open
        poll whose run was deleted or unpublished is closed here, saying so."""
        found, problems = [], []
        try:
            folders = sorted(p for p in self.root.iterdir() if _POLL_ID.match(p.name))
        except OSError:
            folders = []
        for folder in folders:
            try:
                poll = self.get(folder.name)
            except PollError as exc:
                problems.append(f"{folder.name}: {exc}")
                continue
            found.append(self._check_run(poll))
        found.sort(key=lambda p: (not p.is_open, -p.opened_at))
        return found, problems

    def open_polls(self, task: str | None = None) -> list[Poll]:
        """The open polls (of one task's runs, when given)."""
        return [p for p in self.polls()[0] if p.is_open and task in (None, p.task)]

    def get(self, poll_id: str) -> Poll:
        if not isinstance(poll_id, str) or not _POLL_ID.match(poll_id):
            raise PollError(f"no poll {str(poll_id)[:40]!r}")
        try:
            data = read_json(self.root / poll_id / POLL_FILE, limit=64_000)
            costs = data.get("costs")
            return Poll(poll_id=poll_id, run_id=str(data["run_id"]), task=str(data["task"]), question=str(data["question"])[:QUESTION_CHARS],
                        prevalence=float(data["prevalence"]), opened_by=str(data["opened_by"])[:100],
                        opened_at=float(data["opened_at"]), state="closed" if data.get("state") == "closed" else "open",
                        reveal=bool(data.get("reveal")), closed_why=data.get("closed_why") and str(data["closed_why"]),
                        costs=(float(costs[0]), float(costs[1])) if isinstance(costs, list) and len(costs) == 2 else None)
        except ValueError as exc:  # read_json's reasons, and a field of the wrong type
            raise PollError(f"poll {poll_id} cannot be read ({exc})") from None
        except (KeyError, TypeError) as exc:
            raise PollError(f"poll {poll_id} cannot be read (a field is missing or wrong: {exc})") from None

    # -- a student -----------------------------------------------------------------------------------------------
    def submit(self, poll_id: str, *, owner: str, name: str, threshold: float, reason: str = "") -> Answer:
        """Record (or replace) this student's answer: the figures at ``threshold`` on the poll's run."""
        poll = self._check_run(self.get(poll_id))
        if not poll.is_open:
            raise PollError("this poll is closed: answers are no longer taken" +
                            (f" ({poll.closed_why})" if poll.closed_why else ""))
        reason = _text(reason, "the reason", REASON_CHARS)
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise PollError(f"the threshold must be a number, got {threshold!r:.40}") from None
        if poll.on_set:  # a set's scores may be on any scale (logits, a vendor's points)
            if not np.isfinite(threshold):
                raise PollError(f"the threshold must be a finite number, got {threshold}")
        elif not 0.0 <= threshold <= 1.001:
            raise PollError(f"the threshold must be between 0 and 1, got {threshold}")
        answer = self._answer(self._curve(poll.run_id), poll, name[:100], threshold, reason, time.time())
        write_json_atomic(self.root / poll_id / ANSWERS / _user_file(owner), answer.__dict__)
        os.chmod(self.root / poll_id / ANSWERS / _user_file(owner), 0o600)
        return answer

    def mine(self, poll_id: str, owner: str) -> Answer | None:
        try:
            return self._read_answer(self.root / poll_id / ANSWERS / _user_file(owner))
        except PollError:
            return None

    # -- what the lecturer sees ----------------------------------------------------------------------------------
    def answers(self, poll_id: str) -> list[Answer]:
        folder = self.root / self.get(poll_id).poll_id / ANSWERS
        out = []
        try:
            files = sorted(folder.glob("*.json"))
        except OSError:
            files = []
        for path in files:
            try:
                out.append(self._read_answer(path))
            except PollError:
                continue  # a half-deleted or foreign file: not an answer
        return sorted(out, key=lambda a: a.at)

    def class_view(self, poll_id: str) -> ClassView:
        poll = self.get(poll_id)
        answers = self.answers(poll_id)
        view = ClassView(answers)
        if answers:
            curve = self._curve(poll.run_id)
            thresholds = np.array([a.threshold for a in answers])
            view.median = self._answer(curve, poll, "the class's median", float(np.median(thresholds)), "", 0.0)
            for name in ("sensitivity", "specificity", "ppv"):
                values = np.array([getattr(a, name) for a in answers], dtype=float)
                values = values[np.isfinite(values)]
                if values.size:
                    view.spread[name] = tuple(float(v) for v in np.percentile(values, [0, 25, 50, 75, 100]))
        if poll.reveal:
            curve = self._curve(poll.run_id)
            view.youden = self._answer(curve, poll, "Youden's J", float(curve.thresholds[youden_index(curve)]), "", 0.0)
            view.rule_out = self._answer(curve, poll, RULE_OUT_LABEL,
                                         threshold_for_sensitivity(curve, 0.95), "", 0.0)
        return view

    def curve(self, run_id: str) -> RocCurve:
        """The ROC of a poll's run or class set (PollError when the run is gone, unpublished or without predictions,
        or the set is gone or broken)."""
        return self._curve(run_id)

    # -- inside --------------------------------------------------------------------------------------------------
    def _save(self, poll: Poll) -> None:
        path = self.root / poll.poll_id / POLL_FILE
        _private_dir(path.parent)
        data = {**poll.__dict__, "costs": list(poll.costs) if poll.costs else None}
        write_json_atomic(path, data)
        os.chmod(path, 0o600)

    def _curve(self, run_id: str) -> RocCurve:
        if is_set_id(run_id):
            try:
                return self.sets.curve(run_id)
            except SetError as exc:
                raise PollError(str(exc)) from None
        return self._roc(self._published(run_id))

    def _published(self, run_id: str) -> Run:
        try:
            run = self.runs.load(run_id)
        except ValueError as exc:
            raise PollError(f"the run {run_id} is gone ({exc})") from None
        if not run.summary.published:
            raise PollError(f"the run {run_id} is not published: publish it so that the class can see it")
        return run

    @staticmethod
    def _roc(run: Run) -> RocCurve:
        """The run's ROC, read once per predictions file (every student's page and the lecturer's live view ask for it
        on every run; a finished run's predictions never change)."""
        target = run.path / files.PREDICTIONS
        try:
            stat = target.stat()
            return _roc_of(str(target), stat.st_mtime_ns, stat.st_size)
        except (OSError, KeyError, ValueError) as exc:
            raise PollError(f"the run {run.summary.run_id} has no ROC to poll on: its test predictions are not one "
                            f"score and one 0 / 1 label per item ({exc})") from None

    def _check_run(self, poll: Poll) -> Poll:
        """Close an open poll whose run (or class set) is no longer there for the class, saying why."""
        if not poll.is_open:
            return poll
        try:
            self._curve(poll.run_id)
        except PollError as exc:
            return self.close(poll.poll_id, why=f"closed by the server: {exc}")
        return poll

    @staticmethod
    def _answer(curve: RocCurve, poll: Poll, name: str, threshold: float, reason: str, at: float) -> Answer:
        point = point_on_curve(curve, threshold, prevalence=poll.prevalence)
        return Answer(user=name, threshold=threshold, sensitivity=point.sensitivity, specificity=point.specificity,
                      ppv=point.ppv_at_prevalence, fpr=1 - point.specificity, tpr=point.sensitivity, reason=reason,
                      at=at)

    @staticmethod
    def _read_answer(path: Path) -> Answer:
        try:
            data = read_json(path, limit=16_000)
            return Answer(user=str(data["user"])[:100], threshold=float(data["threshold"]),
                          sensitivity=float(data["sensitivity"]), specificity=float(data["specificity"]),
                          ppv=float(data["ppv"]), fpr=float(data["fpr"]), tpr=float(data["tpr"]),
                          reason=str(data.get("reason", ""))[:REASON_CHARS], at=float(data["at"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PollError(f"{path.name} is not an answer ({exc})") from None
