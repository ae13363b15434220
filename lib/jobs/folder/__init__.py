"""Why the pages and the jobs never talk directly: one folder per run, which is the whole protocol between them.

A run folder holds::

    config.json      the full configuration (task, data, every hyperparameter, seed, versions, owner)
    status.json      state (queued, running, stopped, done, failed), worker pid, error, times
    progress.json    the latest batch / epoch progress (loss, metrics, learning rate, images/s, ETA)
    history.csv      one row per finished epoch
    split.json       the ids of the items in each split the job used (photos, slices or volumes)
    STOP             present when a stop was requested
    ui_seen          touched while a browser watches the run (the heartbeat)
    model.keras      the trained model (also after a stop: what was learned so far)
    predictions.npz  test-set predictions (scores and labels, or masks)
    metrics.json     the final test metrics
    log.txt          the worker's output

Every JSON / CSV / NPZ / model file is written through :mod:`lib.atomic`, so a reader never sees
half a file. ``files`` names the files, ``protocol`` owns status / stop / heartbeat, ``store`` lists,
loads and deletes runs, ``describe`` words them for people.

The package imports none of them by itself: a waiting worker (:mod:`lib.jobs.worker`) reads ``files`` and ``protocol``
only, and must not pay for numpy and pandas while it waits.
"""
