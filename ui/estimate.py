"""The price of a click that starts training, said before it: the run's expected duration (:mod:`lib.training.speed`)
and the queue ahead of it on this server."""

from __future__ import annotations

import statistics
from pathlib import Path

import streamlit as st

from lib.contract import Task
from lib.runs import files
from lib.text import duration
from lib.training import queue, speed
from ui.runs import executor, run_store


@st.cache_data(show_spinner=False, max_entries=4)
def _measured(path: str, stamp: int) -> list[dict]:
    return speed.read_measured(Path(path))


def measured_speeds() -> list[dict]:
    """The speeds this server's runs measured (read again only when the file changes)."""
    root = run_store().root
    try:
        stamp = (root / speed.MEASURED).stat().st_mtime_ns
    except OSError:
        stamp = -1
    return _measured(str(root), stamp)


def expected(config: dict, task: Task, runs) -> speed.Estimate:
    """The expected duration of a run of ``config`` (``runs``: the run summaries this server has, any task)."""
    return speed.estimate(config, task, measured_speeds(), ((r.config, r.status) for r in runs if r.task == task.name),
                          host=files.host())


def _typical_s(runs) -> list[float]:
    return [float(r.status["ended"]) - float(r.status["started"]) for r in runs if r.state == "done"
            and isinstance(r.status.get("started"), (int, float)) and isinstance(r.status.get("ended"), (int, float))]


def queue_sentence(runs, *, each_s: float | None = None) -> str:
    """Who is ahead on this server (``runs``: every run, all tasks and users) and about how long before a new run
    starts; ``each_s``: this run's own expected seconds, when nothing else gives a run's typical length."""
    training = [r for r in runs if r.state == "running"]
    waiting = [r for r in runs if r.state == "queued"]
    capacity = executor().capacity()
    at_once = f"{capacity} train at once" if capacity else "the scheduler starts runs as its GPUs free up"
    if capacity and len(training) < capacity and not waiting:
        return f"A training slot is free: it starts at once ({at_once})."
    recent = _typical_s(runs)[-20:] or ([each_s] if each_s else [])
    wait = queue.wait_estimate_s(len(waiting), capacity or max(1, len(training)), recent)
    said = f"Ahead of it on this server: {len(training)} training and {len(waiting)} waiting ({at_once})"
    if wait is not None:
        said += f"; it may wait about {duration(wait)} before it starts (runs here take about " \
                f"{duration(statistics.median(recent))})"
    return said + ". Waiting runs are served user by user in turn."


def start_caption(config: dict, task: Task, runs) -> str:
    """What to show above Start: the expected duration, then the queue."""
    estimate = expected(config, task, runs)
    return f"{estimate.sentence()} {queue_sentence(runs, each_s=estimate.capped_s)}"


def experiment_caption(configs: list[dict], task: Task, runs) -> str:
    """What to show above an experiment's button: its runs' total, how they share the training slots, the queue."""
    estimates = [expected(c, task, runs) for c in configs]
    seconds = [e.capped_s for e in estimates]
    if any(s is None for s in seconds):
        return (f"Expected duration of the {len(configs)} runs: unknown until a run of this task has finished on "
                f"this server. {queue_sentence(runs)}")
    total = sum(seconds)
    capacity = executor().capacity()
    side = min(len(configs), capacity) if capacity else len(configs)
    how = "one after another" if side == 1 else f"up to {side} side by side"
    word = "at most" if any(e.seconds is None for e in estimates) else "roughly" if any(e.rough for e in estimates) \
        else "about"  # "at most": priced by the time budget alone
    said = (f"Expected duration: {word} {duration(total)} of training for the {len(configs)} runs "
            f"({', '.join(duration(s) for s in seconds)}), {how}, so the last ends about "
            f"{duration(total / side)} after they start.")
    return f"{said} {queue_sentence(runs, each_s=total / len(configs))}"
