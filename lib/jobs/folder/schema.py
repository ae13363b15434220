"""Why a bad file cannot break a page: what the files of a run folder may hold, every field checked here, once.

The files are status.json, config.json, progress.json and metrics.json; files.read_json caps their size and depth.

A run folder is written by a job, but anyone with access to the runs folder can break it (a half
copied folder, a hand edit, another version of the app). Readers call these checks and get either a
clean dict or a ``ValueError`` naming the file, the field and what it held; the store then lists the
folder as unreadable instead of letting a ``TypeError`` take a page (or every new job) down.
"""

from __future__ import annotations

import math
from typing import Any

STATES = ("queued", "running", "stopped", "done", "failed")

_NUMBER, _TEXT, _INT, _TEXTS, _OBJECT = "a number", "a text", "a whole number", "a list of texts", "a JSON object"

# status.json: field -> what it must be (every field is optional; null counts as absent)
STATUS_FIELDS = {
    "state": _TEXT, "submitted": _NUMBER, "created": _NUMBER, "started": _NUMBER, "ended": _NUMBER,
    "updated": _NUMBER, "pid": _INT, "pid_started": _NUMBER, "host": _TEXT, "slot": _INT, "queue_position": _INT,
    "error": _TEXT, "stop_reason": _TEXT, "notes": _TEXTS, "checkpoint_epoch": _INT, "checkpoint_metric": _TEXT,
    "epochs_trained": _INT, "timing": _OBJECT, "device_memory_peak_mb": _NUMBER,
    "queue_wait_s": _NUMBER, "executor": _TEXT, "ray_task": _TEXT,
    # what the training data was like (lib.metrics.baseline), for the diagnosis; why a time budget cut the run short
    "chance_loss": _NUMBER, "positive_share": _NUMBER, "input_spread": _NUMBER, "budget_cut": _TEXT,
    "ray_watched": _NUMBER,  # when the app server's Ray watcher last saw the run waiting (RAY_WATCH_GRACE_S)
    # how many jobs trained at once (this one included) when it started and when it ended, and on average while it
    # trained (sampled every 2 s; lib.jobs.queue.SharingSampler, lib.jobs.speed)
    "jobs_at_start": _INT, "jobs_at_end": _INT, "jobs_during": _NUMBER,
    "versions": _OBJECT,  # what the job trained with (Python, Keras, the backend, devices): the job's own record
}
# progress.json: what a job writes every second or so (the training panel reads it)
PROGRESS_FIELDS = {
    "phase": _TEXT, "message": _TEXT, "fraction_in_phase": _NUMBER, "epoch": _INT, "epochs": _INT, "epochs_set": _INT, "plan_why": _TEXT,
    "step": _INT, "steps": _INT, "fraction": _NUMBER, "metrics": _OBJECT, "learning_rate": _NUMBER,
    "images_per_s": _NUMBER, "device_memory_mb": _NUMBER, "eta_s": _NUMBER, "elapsed_s": _NUMBER, "time": _NUMBER,
}
# config.json: the bookkeeping fields every reader relies on (the task's own settings are checked by
# lib.training.config when a job starts)
CONFIG_FIELDS = {"task": _TEXT, "owner": _TEXT, "label": _TEXT, "run_id": _TEXT, "experiment": _TEXT}


def _fits(value: Any, kind: str) -> bool:
    if kind == _NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _TEXT:
        return isinstance(value, str)
    if kind == _OBJECT:
        return isinstance(value, dict)
    if kind == _TEXTS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    raise AssertionError(kind)


def _check(data: Any, fields: dict[str, str], file: str) -> dict:
    if not isinstance(data, dict):
        raise ValueError(f"{file} does not hold a JSON object")
    out = dict(data)
    for name, kind in fields.items():
        if name not in data or data[name] is None:
            out.pop(name, None)
            continue
        if not _fits(data[name], kind):
            raise ValueError(f"{file}: {name} must be {kind}, got {data[name]!r:.60}")
    return out


def check_status(data: Any) -> dict:
    """A checked copy of status.json's content; absent or null optional fields are dropped.

    Examples
    --------
    >>> check_status({"state": "done", "created": None, "pid": 12})
    {'state': 'done', 'pid': 12}
    >>> check_status({"state": "running", "pid": [1, 2]})
    Traceback (most recent call last):
    ValueError: status.json: pid must be a whole number, got [1, 2]
    """
    status = _check(data, STATUS_FIELDS, "status.json")
    if status.get("state") not in STATES:
        raise ValueError(f"status.json has an unknown state {status.get('state')!r}")
    return status


def check_progress(data: Any) -> dict:
    """A checked copy of progress.json's content; ``metrics`` must map names to numbers (or null: not a number).

    Examples
    --------
    >>> check_progress({"phase": "training", "epoch": 2, "metrics": {"loss": 0.5}})["epoch"]
    2
    >>> check_progress({"epoch": "two"})
    Traceback (most recent call last):
    ValueError: progress.json: epoch must be a whole number, got 'two'
    """
    progress = _check(data, PROGRESS_FIELDS, "progress.json")
    for name, value in progress.get("metrics", {}).items():
        if value is not None and not _fits(value, _NUMBER):
            raise ValueError(f"progress.json: metrics.{name} must be a number, got {value!r:.60}")
    return progress


def check_config(data: Any) -> dict:
    """A checked copy of config.json's content: ``task`` and ``owner`` must be texts."""
    config = _check(data, CONFIG_FIELDS, "config.json")
    for key in ("task", "owner"):
        if key not in config:
            raise ValueError(f"config.json has no {key!r}")
    return config


def check_metrics(data: Any) -> dict:
    """metrics.json: an object whose values are numbers, texts or null (NaN allowed: "not defined")."""
    if not isinstance(data, dict):
        raise ValueError("metrics.json does not hold a JSON object")
    for key, value in data.items():
        if not (value is None or isinstance(value, (int, float, str))) or isinstance(value, bool):
            raise ValueError(f"metrics.json: {key} must be a number or a text, got {value!r:.60}")
    return dict(data)
