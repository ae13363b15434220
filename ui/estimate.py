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


def expected(config: dict, task: Task, runs, *, beside: int = 0) -> speed.Estimate:
    """The expected duration of a run of ``config`` (``runs``: the run summaries this server has, any task) when
    ``beside`` other jobs will train at the same time (each then goes slower: :func:`lib.training.speed.sharing`)."""
    measured = measured_speeds()
    found = speed.estimate(config, task, measured, ((r.config, r.status) for r in runs if r.task == task.name),
                           host=files.host())
    mine = [m for m in measured if m.get("host") == files.host()]
    gpu = bool(mine) and mine[-1].get("devices", "CPU") != "CPU"
    return speed.shared(found, speed.sharing(1 + beside, measured, host=files.host(), gpu=gpu))


def _slots(runs) -> tuple[int | None, int, int]:
    """(how many train at once, how many slots are held now, how many runs wait for one): the held slots are read
    from the slots themselves (a run that has just been given one counts), not from the listing."""
    capacity = executor().capacity()
    waiting = sum(1 for r in runs if r.state == "queued")
    if not capacity:
        return None, sum(1 for r in runs if r.state == "running"), waiting
    busy = queue.busy_slots(run_store().root, capacity)
    return capacity, max(busy, sum(1 for r in runs if r.state == "running")), waiting


def _beside(runs, joining: int = 1) -> int:
    """How many other jobs will train beside ``joining`` new ones once they start."""
    capacity, busy, waiting = _slots(runs)
    if not capacity:
        return busy
    return max(0, min(capacity, busy + waiting + joining) - joining)


def _typical_s(runs) -> list[float]:
    return [float(r.status["ended"]) - float(r.status["started"]) for r in runs if r.state == "done"
            and isinstance(r.status.get("started"), (int, float)) and isinstance(r.status.get("ended"), (int, float))]


def queue_sentence(runs, *, each_s: float | None = None) -> str:
    """Who is ahead on this server (``runs``: every run, all tasks and users) and about how long before a new run
    starts; ``each_s``: this run's own expected seconds, when nothing else gives a run's typical length."""
    capacity, training, waiting = _slots(runs)
    at_once = f"{capacity} train at once" if capacity else "the scheduler starts runs as its GPUs free up"
    if capacity and training + waiting < capacity:
        free = capacity - training - waiting
        return (f"{free} of the {capacity} training slots {'is' if free == 1 else 'are'} free now: it starts at once, "
                "unless others press Start first.")
    recent = _typical_s(runs)[-20:] or ([each_s] if each_s else [])
    wait = queue.wait_estimate_s(waiting, capacity or max(1, training), recent)
    said = f"Ahead of it on this server: {training} training and {waiting} waiting ({at_once})"
    if wait is not None:
        said += f"; it may wait about {duration(wait)} before it starts (runs here take about " \
                f"{duration(statistics.median(recent))})"
    return said + ". Waiting runs are served user by user in turn."


def start_caption(config: dict, task: Task, runs) -> str:
    """What to show above Start: the expected duration, then the queue."""
    estimate = expected(config, task, runs, beside=_beside(runs))
    return f"{estimate.sentence()} {queue_sentence(runs, each_s=estimate.capped_s)}"


def experiment_caption(configs: list[dict], task: Task, runs) -> str:
    """What to show above an experiment's button: its runs' total, how they share the training slots, the queue."""
    capacity = executor().capacity()
    side = min(len(configs), capacity) if capacity else len(configs)
    estimates = [expected(c, task, runs, beside=_beside(runs, side) + side - 1) for c in configs]
    seconds = [e.capped_s for e in estimates]
    if any(s is None for s in seconds):
        return (f"Expected duration of the {len(configs)} runs: unknown until a run of this task has finished on "
                f"this server. {queue_sentence(runs)}")
    total = sum(seconds)
    how = "one after another" if side == 1 else f"up to {side} side by side"
    word = "at most" if any(e.seconds is None for e in estimates) else "roughly" if any(e.rough for e in estimates) \
        else "about"  # "at most": priced by the time budget alone
    slower = [e.basis.rsplit("; ", 1)[-1] for e in estimates if "at once" in e.basis]
    said = (f"Expected duration: {word} {duration(total)} of training for the {len(configs)} runs "
            f"({', '.join(duration(s) for s in seconds)}), {how}"
            + (f" ({slower[0]})" if slower else "") + f", so the last ends about {duration(total / side)} after they "
            "start.")
    return f"{said} {queue_sentence(runs, each_s=total / len(configs))}"
