"""Why a student knows the wait before clicking Start: how long a run will take, from what this server has measured.

Every run that trains a few steps leaves a **measurement** in the runs folder (``.measured-speed.jsonl``, one JSON
line per run, kept after the run folder is deleted): its task, backend, devices and precision, the seconds of one
training step, of the work done once per epoch (validation, checkpoint) and of the work done once per run (starting,
reading data, compiling, evaluating), and the settings that decide a step's cost. :func:`estimate` then answers, in
order of trust:

1. earlier runs with exactly these settings: their median start-to-end time;
2. a measured speed with the same per-step settings (any learning rate, seed, number of epochs or batches):
   its fixed time + the planned steps x its step time + the epochs x its per-epoch time;
3. a measured speed of the same task, backend and precision at other settings, scaled by the task's
   relative step cost (:attr:`lib.contract.Task.step_cost`): rough, and said to be;

so once a server has finished one run of a task, no action of that task is "unknown". A time budget caps each.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from lib.contract import Task
from lib.text import duration, number
MEASURED = ".measured-speed.jsonl"
KEPT_BYTES = 512 * 1024  # only the file's tail is read (a few thousand runs): old measurements age out
_RUN_LENGTH = frozenset({"epochs", "steps_per_epoch", "time_budget_s"})
_NOT_SPEED = frozenset({"seed", "run_id", "owner", "label", "versions", "watch", "experiment", "preset", "data",
                        "learning_rate"})


# Settings that do not change how long a run takes.
_NOT_TIMING = frozenset({"seed", "run_id", "owner", "label", "versions", "watch", "experiment", "preset"})


def timing_key(config: dict) -> tuple:
    """The settings that decide how long a run takes (everything but the seed and bookkeeping)."""
    return tuple(sorted((k, repr(v)) for k, v in config.items() if k not in _NOT_TIMING))


def speed_key(config: dict, task: Task) -> str:
    """The settings that decide what one training step costs: all but the run's length, the bookkeeping, the data
    folder and the settings the task marks as free (:attr:`lib.contract.Field.costs`)."""
    free = _RUN_LENGTH | _NOT_SPEED | {name for name, spec in task.fields.items() if not spec.costs}
    return json.dumps(sorted((k, repr(v)) for k, v in config.items() if k not in free))


def _platform(config: dict) -> dict:
    versions = config.get("versions") if isinstance(config.get("versions"), dict) else {}
    devices = versions.get("devices")
    return {"backend": str(versions.get("backend") or ""),
            "devices": ", ".join(map(str, devices)) if isinstance(devices, list) and devices else "CPU",
            "precision": str(config.get("precision") or "float32")}


def measurement(config: dict, status: dict, task: Task) -> dict | None:
    """What a finished run (``config`` with its ``versions``, final ``status`` with ``timing``) measured, or None
    when it trained too few steps to time one (the first step compiles; a step after it is needed)."""
    timing = status.get("timing") if isinstance(status.get("timing"), dict) else {}
    inner = timing.get("training, of which") if isinstance(timing.get("training, of which"), dict) else {}
    try:
        steps, timed_s = int(inner["steps"]), float(inner["training steps"])
        first_s, training_s = float(inner["first step"]), float(timing["training"])
        total_s = float(status["ended"]) - float(status["started"])
    except (KeyError, TypeError, ValueError):
        return None
    epochs = int(status.get("epochs_trained") or 0) or _epochs_from(status, config)
    if steps < 2 or timed_s <= 0 or total_s <= 0 or epochs < 1:
        return None
    step_s = timed_s / (steps - 1)
    per_epoch_s = max(0.0, training_s - first_s - timed_s) / epochs
    fixed_s = max(0.0, total_s - training_s) + max(0.0, first_s - step_s)
    return {"task": task.name, "host": status.get("host"), **_platform(config), "speed": speed_key(config, task),
            "cost": float(task.step_cost(config)), "step_s": round(step_s, 5), "per_epoch_s": round(per_epoch_s, 4),
            "fixed_s": round(fixed_s, 3), "steps": steps, "epochs": epochs, "data": str(config.get("data") or ""),
            "size": _size_key(config, task), "train_items": status.get("train_items"),
            "batch_size": config.get("batch_size"), "time": round(time.time(), 1),
            "at_once": _at_once(status)}


def _at_once(status: dict) -> float:
    """How many jobs trained at once while the run did (itself included): the mean of the samples taken while it
    trained (``jobs_during``), else (an older run) the mean of what it saw at its start and at its end; 1 when it did
    not say (Ray, an older run)."""
    during = status.get("jobs_during")
    if isinstance(during, (int, float)) and not isinstance(during, bool) and during >= 1:
        return round(float(during), 2)
    seen = [v for v in (status.get("jobs_at_start"), status.get("jobs_at_end"))
            if isinstance(v, int) and not isinstance(v, bool) and v >= 1]
    return round(sum(seen) / len(seen), 2) if seen else 1.0


def _epochs_from(status: dict, config: dict) -> int:
    epoch = status.get("checkpoint_epoch")
    return int(epoch) if isinstance(epoch, int) and epoch > 0 else int(config.get("epochs") or 0)


def _size_key(config: dict, task: Task) -> str:
    return json.dumps([repr(config.get(name)) for name in task.epoch_size])


def record(root: Path, config: dict, status: dict, task: Task) -> dict | None:
    """Append a finished run's measurement to the runs folder's file (one line, appended atomically); best effort:
    a full disk loses the measurement, never the run."""
    found = measurement(config, status, task)
    if found is None:
        return None
    line = (json.dumps(found) + "\n").encode()
    try:
        fd = os.open(Path(root) / MEASURED, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)  # one write of a short line with O_APPEND: never interleaved with another run's
        finally:
            os.close(fd)
    except OSError:
        return None
    return found


def read_measured(root: Path) -> list[dict]:
    """The measurements kept in the runs folder, oldest first (the file's last ``KEPT_BYTES``); lines that are not
    measurements (a torn tail, a hand edit) are skipped."""
    try:
        with open(Path(root) / MEASURED, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - KEPT_BYTES))
            text = f.read().decode(errors="replace")
    except OSError:
        return []
    lines = text.splitlines()[1:] if size > KEPT_BYTES else text.splitlines()  # the first may be cut in two
    found = []
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and all(isinstance(item.get(k), (int, float)) and not isinstance(item.get(k), bool)
                                          and math.isfinite(item[k]) and item[k] >= 0
                                          for k in ("step_s", "per_epoch_s", "fixed_s", "cost")):
            found.append(item)
    return found


@dataclass(frozen=True)
class Estimate:
    """What to say before a click that starts training: ``seconds`` (None: no basis), how it was reached
    (``basis``, a phrase), whether it is ``rough``, and the ``budget_s`` that caps it (0: none)."""

    seconds: float | None
    basis: str
    budget_s: float = 0.0
    rough: bool = False

    @property
    def capped_s(self) -> float | None:
        """The expected seconds with the budget applied (the budget alone when there is no other basis)."""
        if self.seconds is None:
            return self.budget_s or None
        return min(self.seconds, self.budget_s) if self.budget_s > 0 else self.seconds

    def sentence(self) -> str:
        if self.seconds is not None:
            said = f"Expected duration: {'roughly' if self.rough else 'about'} {duration(self.seconds)} ({self.basis})"
            if self.budget_s > 0:
                said += f"; the time budget caps it at {duration(self.budget_s)}"
            return said + "."
        if self.budget_s > 0:
            return (f"Expected duration: at most {duration(self.budget_s)} (the time budget). The run measures "
                    "its speed on this machine during the first epochs and trains only the epochs that fit.")
        return ("Expected duration: unknown until a run of this task has finished on this server. "
                "Set a time budget to cap it.")


def _planned_steps(config: dict, task: Task, measured: list[dict]) -> tuple[int | None, bool]:
    """(training steps the run plans, whether that number is a guess): epochs x batches per epoch, where one pass
    over the training set is measured by an earlier run on the same data."""
    epochs = int(config.get("epochs") or 1)
    steps = config.get("steps_per_epoch")
    if isinstance(steps, int) and steps > 0:
        return epochs * steps, False
    batch = max(1, int(config.get("batch_size") or 1))
    same_data = [m for m in measured if m.get("data") == str(config.get("data") or "")
                 and isinstance(m.get("train_items"), int) and m["train_items"] > 0]
    same_size = [m for m in same_data if m.get("size") == _size_key(config, task)]
    if same_size:
        return epochs * math.ceil(same_size[-1]["train_items"] / batch), False
    if same_data:  # another sample size of the same data: scaled by the sizing setting (rough)
        m = same_data[-1]
        ratio = _size_ratio(config, m, task)
        return epochs * math.ceil(m["train_items"] * ratio / batch), True
    return None, True


def _size_ratio(config: dict, m: dict, task: Task) -> float:
    try:
        then = json.loads(m["size"])
    except (KeyError, TypeError, ValueError):
        return 1.0
    ratio = 1.0
    for name, old in zip(task.epoch_size, then):
        new = config.get(name)
        try:
            old = float(old.strip("'\""))
        except (AttributeError, ValueError):
            continue
        if isinstance(new, (int, float)) and old > 0:
            ratio *= float(new) / old
    return ratio


@dataclass(frozen=True)
class Sharing:
    """How much slower one job trains when ``jobs`` train at once on this server: ``factor`` (1: not at all) and how
    that was found (``basis``)."""

    jobs: int
    factor: float
    basis: str


def sharing(jobs: int, measured: Iterable[dict], *, host: str, gpu: bool = False) -> Sharing:
    """The slow-down of each job when ``jobs`` train at once, from this server's measurements: the median step time
    of runs that trained beside others against the runs that trained alone, with the same settings (a ratio per
    setting, so that a fast and a slow model do not mix), per extra job, scaled to ``jobs``. Without such a pair,
    a rule of thumb said to be one: on a CPU the jobs share its cores (each at 1 / ``jobs`` of the speed); on a GPU
    each extra job costs about half a job (four 3D U-Nets on one card took 1.6 times one in all).

    Examples
    --------
    >>> sharing(1, [], host="h").factor, sharing(2, [], host="h").factor, sharing(3, [], host="h", gpu=True).factor
    (1.0, 2.0, 2.0)
    >>> alone = {"host": "h", "speed": "k", "step_s": 0.1, "at_once": 1.0}
    >>> side = {"host": "h", "speed": "k", "step_s": 0.18, "at_once": 2.0}
    >>> round(sharing(2, [alone, side], host="h").factor, 2), round(sharing(3, [alone, side], host="h").factor, 2)
    (1.8, 2.6)
    """
    if jobs <= 1:
        return Sharing(1, 1.0, "it trains alone")
    per_job = []
    mine = [m for m in measured if m.get("host") == host and isinstance(m.get("at_once"), (int, float))]
    for key in {m.get("speed") for m in mine}:
        alone = [m["step_s"] for m in mine if m.get("speed") == key and m["at_once"] <= 1.2]
        beside = [m for m in mine if m.get("speed") == key and m["at_once"] >= 1.5]
        if alone and beside:
            base = statistics.median(alone)
            for m in beside:
                per_job.append((m["step_s"] / base - 1.0) / (m["at_once"] - 1.0))
    if per_job:
        slope = max(0.0, statistics.median(per_job))
        return Sharing(jobs, 1.0 + slope * (jobs - 1), f"{jobs} training at once, each about {1.0 + slope * (jobs - 1):.1f}x "
                                                         "slower, as measured on this server")
    slope = 0.5 if gpu else 1.0
    return Sharing(jobs, 1.0 + slope * (jobs - 1), f"{jobs} training at once share the {'GPU' if gpu else 'CPU'}: each "
                                                     f"about {1.0 + slope * (jobs - 1):.1f}x slower (not measured here yet)")


def shared(found: Estimate, share: Sharing) -> Estimate:
    """``found`` for a run that trains beside others (:func:`sharing`): slower by the factor, its basis saying so."""
    if found.seconds is None or share.factor == 1.0:
        return found
    return Estimate(found.seconds * share.factor, f"{found.basis}; {share.basis}", found.budget_s,
                    rough=found.rough)


def estimate(config: dict, task: Task, measured: Iterable[dict], past: Iterable[tuple[dict, dict]], *,
             host: str) -> Estimate:
    """The expected duration of a run of ``config`` on ``host``: from ``past`` (config, status) pairs with exactly
    these settings, else from the ``measured`` speeds (:func:`read_measured`), as the module says."""
    budget = float(config.get("time_budget_s") or 0)
    key = timing_key(config)
    # only runs that trained alone: a run that shared the server took longer, and shared() prices the sharing itself
    same = [float(s["ended"]) - float(s["started"]) for c, s in past
            if s.get("state") == "done" and s.get("host") == host and timing_key(c) == key and _at_once(s) <= 1.2
            and isinstance(s.get("started"), (int, float)) and isinstance(s.get("ended"), (int, float))]
    same = [d for d in same if d > 0]
    if same:
        return Estimate(statistics.median(same), f"the median of {len(same)} earlier run{'s' if len(same) != 1 else ''} "
                                                 "with these settings on this machine", budget)
    mine = [m for m in measured if m.get("task") == task.name and m.get("host") == host]
    # a run's own speed is its speed alone: measurements taken beside other jobs price only the sharing (sharing())
    mine = [m for m in mine if float(m.get("at_once") or 1.0) <= 1.2] or mine
    steps, guessed = _planned_steps(config, task, mine)
    if steps is None:
        return Estimate(None, "", budget)
    epochs = int(config.get("epochs") or 1)
    exact = [m for m in mine if m.get("speed") == speed_key(config, task)][-5:]
    if exact:
        step_s = statistics.median(m["step_s"] for m in exact)
        seconds = statistics.median(m["fixed_s"] for m in exact) + steps * step_s + epochs * statistics.median(
            m["per_epoch_s"] for m in exact)
        return Estimate(seconds, f"{number(steps)} batches at {step_s:.2g} s, measured on this server with these "
                                 "model settings, plus starting and evaluating", budget, rough=guessed)
    precision = str(config.get("precision") or "float32")
    kin = [m for m in mine if m.get("precision") == precision and m.get("cost", 0) > 0][-5:]
    if not kin:
        return Estimate(None, "", budget)
    cost = float(task.step_cost(config))
    step_s = statistics.median(m["step_s"] * cost / m["cost"] for m in kin)
    seconds = statistics.median(m["fixed_s"] for m in kin) + steps * step_s + epochs * statistics.median(
        m["per_epoch_s"] for m in kin)
    return Estimate(seconds, f"{number(steps)} batches at about {step_s:.2g} s, scaled from this server's runs of this "
                             "task at other settings", budget, rough=True)
