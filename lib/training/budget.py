"""How long a run may train: the time budget's arithmetic, and the expected duration shown before Start.

A run with ``time_budget_s`` > 0 measures its own speed while it trains (:class:`lib.training.progress.BudgetPlanner`)
and trains only the epochs that fit, so the whole run (starting, data steps, training, evaluation) ends
within the budget on whatever CPU or GPU it lands on. Before Start, the page says how long the run is
expected to take on this machine, from earlier runs with the same settings (:func:`expected_duration`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Iterable

from lib.text import duration

# Settings that do not change how long a run takes.
_NOT_TIMING = frozenset({"seed", "run_id", "owner", "label", "versions", "watch", "experiment", "preset"})


def margin_s(budget_s: float) -> float:
    """Time kept free at the end of a budget for what cannot be measured in advance (saving, writing).

    Examples
    --------
    >>> margin_s(100), margin_s(1000), margin_s(10)
    (3.0, 20.0, 1.0)
    """
    return min(0.1 * budget_s, max(3.0, 0.02 * budget_s))


def epochs_that_fit(*, budget_s: float, elapsed_s: float, epoch_s: float, after_s: float, done: int,
                    most: int) -> int:
    """How many epochs in total a run can train within its budget.

    Parameters
    ----------
    budget_s : the whole run's budget (0: none)
    elapsed_s : seconds since the run started (starting, data steps and the epochs done so far)
    epoch_s : the expected seconds of one more epoch (training steps, validation, checkpoint)
    after_s : the expected seconds after the last epoch (evaluation, saving)
    done : epochs finished so far
    most : the configured number of epochs (never exceeded)

    Returns
    -------
    int in [max(done, 1), most]: the epochs already done are never taken back.

    Examples
    --------
    >>> epochs_that_fit(budget_s=100, elapsed_s=30, epoch_s=10, after_s=5, done=1, most=30)
    7
    >>> epochs_that_fit(budget_s=0, elapsed_s=30, epoch_s=10, after_s=5, done=1, most=30)
    30
    >>> epochs_that_fit(budget_s=100, elapsed_s=130, epoch_s=10, after_s=5, done=2, most=30)
    2
    """
    if budget_s <= 0:
        return most
    floor = max(done, 1)
    if epoch_s <= 0:
        return max(floor, most)
    more = int((budget_s - margin_s(budget_s) - elapsed_s - after_s) // epoch_s)
    return max(floor, min(most, done + max(0, more)))


@dataclass(frozen=True)
class Expected:
    """What to say before Start: the median duration of ``runs`` earlier runs with these settings on this
    machine (None when there are none), and the budget that caps it (0: none)."""

    seconds: float | None
    runs: int
    budget_s: float

    def sentence(self) -> str:
        if self.seconds is not None:
            said = (f"Expected duration: about {duration(self.seconds)} on this machine "
                    f"(the median of {self.runs} earlier run{'s' if self.runs != 1 else ''} with these settings)")
            if self.budget_s > 0:
                said += f"; the time budget caps it at {duration(self.budget_s)}"
            return said + "."
        if self.budget_s > 0:
            return (f"Expected duration: at most {duration(self.budget_s)} (the time budget). The run measures "
                    "its speed on this machine during the first epochs and trains only the epochs that fit.")
        return ("Expected duration: unknown; no run with these settings has finished on this machine yet. "
                "Set a time budget to cap it.")


def timing_key(config: dict) -> tuple:
    """The settings that decide how long a run takes (everything but the seed and bookkeeping)."""
    return tuple(sorted((k, repr(v)) for k, v in config.items() if k not in _NOT_TIMING))


def expected_duration(config: dict, past: Iterable[tuple[dict, dict]], *, host: str) -> Expected:
    """The expected duration of ``config`` from ``past`` (config, status) pairs: finished runs ("done")
    on ``host`` with the same timing settings (:func:`timing_key`), measured from start to end."""
    key = timing_key(config)
    durations = [float(status["ended"]) - float(status["started"]) for cfg, status in past
                 if status.get("state") == "done" and status.get("host") == host
                 and isinstance(status.get("started"), (int, float)) and isinstance(status.get("ended"), (int, float))
                 and timing_key(cfg) == key]
    durations = [d for d in durations if d > 0]
    return Expected(seconds=statistics.median(durations) if durations else None, runs=len(durations),
                    budget_s=float(config.get("time_budget_s") or 0))
