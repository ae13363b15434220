"""The training engine: configurations, the job that runs one training, progress reporting, executors.

The pieces:

- ``config``: builds and validates a run's configuration from a task's settings and presets
- ``context``: what a task's ``train`` gets: its config, progress phases, stop checks, saving
- ``progress``: the Keras callback that writes progress and history into the run folder and obeys stop
- ``job``: runs one configured run folder start to end (queue slot, TensorFlow set-up, the task, saving)
- ``worker``: ``python -m lib.training.worker RUN_DIR``, one process per job
- ``executor``: where jobs run (a local worker process per job); the run folder is the only interface
- ``slots``: at most N jobs at once, across processes
- ``schedule``: learning-rate schedules as plain functions

What "train" means for each task lives in ``lib.tasks``.
"""
