"""How long a run may train: the time budget's arithmetic.

A run with ``time_budget_s`` > 0 measures its own speed while it trains (:class:`lib.training.progress.BudgetPlanner`)
and trains only the epochs that fit, so the whole run (starting, data steps, training, evaluation) ends
within the budget on whatever CPU or GPU it lands on. What a run is expected to take before Start is
:mod:`lib.jobs.speed`'s.
"""

from __future__ import annotations


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


def steady_plan(*, shown: int | None, new: int, done: int, most: int) -> int:
    """The planned epochs to show, given the one shown so far and a new plan: it moves only by a margin.

    A plan made from one or two epochs' timing swings by a few epochs as the timing settles; the student
    should not read "2/20", "3/28", "4/30". The shown plan follows the new one when they differ by at least
    ``max(2, 10 % of most)`` epochs, and always when the difference decides what happens next: the run stops
    at ``done`` (``new <= done``), it goes on past the plan shown (``shown <= done < new``), or every epoch set
    now fits (``new == most``).

    Examples
    --------
    >>> steady_plan(shown=None, new=20, done=1, most=30)
    20
    >>> steady_plan(shown=20, new=28, done=2, most=30), steady_plan(shown=28, new=29, done=3, most=30)
    (28, 28)
    >>> steady_plan(shown=28, new=29, done=28, most=30), steady_plan(shown=28, new=27, done=27, most=30)
    (29, 27)
    >>> steady_plan(shown=28, new=30, done=3, most=30)
    30
    """
    if shown is None or new == shown:
        return new
    if abs(new - shown) >= max(2, round(0.1 * most)):
        return new
    if new <= done or shown <= done or new == most:
        return new
    return shown
