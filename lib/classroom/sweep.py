"""The class's runs as one experiment: thirty students each trying a learning rate (or a label fraction, or a number
of epochs) are, together, a sweep nobody could run alone. Every finished run a student shared with the class becomes
one point: a setting against a test result, or against the gap between training and validation loss."""

from __future__ import annotations

import math
from dataclasses import dataclass

from lib.access.identity import owner_shown
from lib.contract import Task
from lib.jobs.folder.store import SHARED_OWNER, RunStore

GAP = "gap"  # the validation loss minus the training loss at the last epoch: how far the model overfits


@dataclass(frozen=True)
class ClassPoint:
    run_id: str
    who: str  # shown to the lecturer only, never on the projector
    x: float
    y: float


def measures(task: Task) -> dict[str, str]:
    """What a point's height can be: the task's test metrics, and the train / validation gap."""
    names = {task.headline: f"test {task.headline.replace('_', ' ')}"}
    for metric in task.metrics_shown:
        if metric != "loss":
            names.setdefault(metric, f"test {metric.replace('_', ' ')}")
    names[GAP] = "validation loss - training loss (last epoch)"
    return names


def settings(task: Task) -> dict[str, str]:
    """The settings a point can stand on: the task's numeric fields."""
    return {name: f.label or name for name, f in task.fields.items() if f.kind in (int, float)}


def class_points(store: RunStore, task: Task, *, setting: str, measure: str) -> list[ClassPoint]:
    """One point per finished run of ``task`` that its owner shared with the class, oldest first."""
    runs, _ = store.list(task=task.name, lecturer=True)
    points = []
    for summary in sorted(runs, key=lambda r: r.created):
        x = summary.config.get(setting)
        if not (summary.shared and summary.state in ("done", "stopped") and summary.metrics
                and isinstance(x, (int, float)) and not isinstance(x, bool)):
            continue
        if measure == GAP:
            try:
                history = store.load(summary.run_id, lecturer=True).history
            except ValueError:
                continue
            if history.empty or not {"loss", "val_loss"} <= set(history.columns):
                continue
            y = float(history["val_loss"].iloc[-1]) - float(history["loss"].iloc[-1])
        else:
            y = task.metric(summary.metrics, measure)
        if isinstance(y, (int, float)) and math.isfinite(y):
            points.append(ClassPoint(summary.run_id, owner_shown(summary.owner, shared_owner=SHARED_OWNER), float(x),
                                     float(y)))
    return points
