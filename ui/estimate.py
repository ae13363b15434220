"""The price of a click that starts training, said before it: the run's expected duration (:mod:`lib.jobs.speed`)
and the queue ahead of it on this server."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import NamedTuple

import streamlit as st

from lib.contract import Task
from lib.jobs.folder import files
from lib.text import duration
from lib.jobs import queue, speed
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


class _Slots(NamedTuple):
    """How many train at once (None: the scheduler decides), how many slots are held now, how many runs wait."""

    capacity: int | None
    busy: int
    waiting: int


def _slots(runs) -> _Slots:
    """The slots as they are now, read once per caption: the held ones from the slots themselves (a run that has just
    been given one counts), not from the listing."""
    capacity = executor().capacity()
    waiting = sum(1 for r in runs if r.state == "queued")
    running = sum(1 for r in runs if r.state == "running")
    if not capacity:
        return _Slots(None, running, waiting)
    return _Slots(capacity, max(queue.busy_slots(run_store().root, capacity), running), waiting)


def _beside(slots: _Slots, joining: int = 1) -> int:
    """How many other jobs will train beside ``joining`` new ones once they start."""
    if not slots.capacity:
        return slots.busy
    return max(0, min(slots.capacity, slots.busy + slots.waiting + joining) - joining)


def _sharing(jobs: int) -> speed.Sharing:
    """How much slower each of ``jobs`` training at once goes on this server (:func:`lib.jobs.speed.sharing`)."""
    measured = measured_speeds()
    mine = [m for m in measured if m.get("host") == files.host()]
    gpu = bool(mine) and mine[-1].get("devices", "CPU") != "CPU"
    return speed.sharing(jobs, measured, host=files.host(), gpu=gpu)


def expected(config: dict, task: Task, runs, *, share: speed.Sharing | None = None) -> speed.Estimate:
    """The expected duration of a run of ``config`` (``runs``: the run summaries this server has, any task), slower by
    ``share`` when other jobs train beside it."""
    found = speed.estimate(config, task, measured_speeds(), ((r.config, r.status) for r in runs if r.task == task.name),
                           host=files.host())
    return speed.shared(found, share) if share is not None else found


def _typical_s(runs) -> list[float]:
    return [float(r.status["ended"]) - float(r.status["started"]) for r in runs if r.state == "done"
            and isinstance(r.status.get("started"), (int, float)) and isinstance(r.status.get("ended"), (int, float))]


def queue_sentence(runs, *, each_s: float | None = None, slots: _Slots | None = None) -> str:
    """Who is ahead on this server (``runs``: every run, all tasks and users) and about how long before a new run
    starts; ``each_s``: this run's own expected seconds, when nothing else gives a run's typical length; ``slots``:
    :func:`_slots`, when the caller has read them already."""
    capacity, training, waiting = slots or _slots(runs)
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
    slots = _slots(runs)
    estimate = expected(config, task, runs, share=_sharing(1 + _beside(slots)))
    return f"{estimate.sentence()} {queue_sentence(runs, each_s=estimate.capped_s, slots=slots)}"


def experiment_caption(configs: list[dict], task: Task, runs) -> str:
    """What to show above an experiment's button: its runs' total, how they share the training slots, the queue."""
    slots = _slots(runs)
    side = min(len(configs), slots.capacity) if slots.capacity else len(configs)
    share = _sharing(_beside(slots, side) + side)  # each run trains beside its siblings and the others' jobs
    estimates = [expected(c, task, runs, share=share) for c in configs]
    seconds = [e.capped_s for e in estimates]
    if any(s is None for s in seconds):
        return (f"Expected duration of the {len(configs)} runs: unknown until a run of this task has finished on "
                f"this server. {queue_sentence(runs, slots=slots)}")
    total = sum(seconds)
    how = "one after another" if side == 1 else f"up to {side} side by side"
    word = "at most" if any(e.seconds is None for e in estimates) else "roughly" if any(e.rough for e in estimates) \
        else "about"  # "at most": priced by the time budget alone
    slower = share.factor != 1.0 and any(e.seconds is not None for e in estimates)
    said = (f"Expected duration: {word} {duration(total)} of training for the {len(configs)} runs "
            f"({', '.join(duration(s) for s in seconds)}), {how}"
            + (f" ({share.basis})" if slower else "") + f", so the last ends about {duration(total / side)} after they "
            "start.")
    return f"{said} {queue_sentence(runs, each_s=total / len(configs), slots=slots)}"
