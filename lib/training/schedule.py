"""Learning-rate schedules as plain functions of the epoch (Keras' LearningRateScheduler wants floats)."""

from __future__ import annotations


def step_then_exponential(epoch: int, *, base: float = 1e-3, decay_start: int = 20, factor: float = 0.9048) -> float:
    """Constant ``base`` for epochs 0 .. decay_start - 1, then multiplied by ``factor`` every epoch.

    lr(epoch) = base                                   if epoch <  decay_start
    lr(epoch) = base * factor ** (epoch - decay_start + 1)  otherwise

    Returns a Python float (the course returned a schedule object, which Keras rejects).

    Examples
    --------
    >>> step_then_exponential(19), step_then_exponential(20, factor=0.5), step_then_exponential(21, factor=0.5)
    (0.001, 0.0005, 0.00025)
    """
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    if epoch < decay_start:
        return float(base)
    return float(base * factor ** (epoch - decay_start + 1))


def schedule_values(epochs: int, **kwargs) -> list[float]:
    """The schedule over ``range(epochs)``, for plotting before training starts."""
    return [step_then_exponential(e, **kwargs) for e in range(epochs)]
