"""Saved training runs: one folder per run, which is also the protocol between the UI and a job.

A run folder holds::

    config.json      the full configuration (task, data, every hyperparameter, seed, versions, owner)
    status.json      state (queued, running, stopped, done, failed), worker pid, error, times
    progress.json    the latest batch / epoch progress (loss, metrics, learning rate, images/s, ETA)
    history.csv      one row per finished epoch
    STOP             present when a stop was requested
    model.keras      the trained model (also after a stop: what was learned so far)
    predictions.npz  test-set predictions (scores and labels, or masks)
    metrics.json     the final test metrics
    log.txt          the worker's output

Every JSON / CSV / NPZ / model file is written to a temporary name and renamed into place, so a
reader never sees half a file.
"""

from lib.runs.store import FINAL_STATES, Run, RunStore, RunSummary

__all__ = ["RunStore", "Run", "RunSummary", "FINAL_STATES"]
