"""The training engine. It is handed a task (:class:`lib.contract.Task`) and never looks one up.

- ``config``: builds and validates a run's configuration from a task's settings and presets
- ``context``: what a task's ``train`` gets: its config, progress phases, stop checks, the compile helper, saving
- ``loop``: ``fit``, Keras' ``train_on_batch`` over the task's batches with whole-epoch figures, on any backend
- ``batches``: the one batch-source abstraction (``batch_source``, ``array_batches``)
- ``progress``: the Keras callbacks that report progress, keep the best checkpoint and follow the time budget
- ``budget``: the time budget's arithmetic and the expected duration shown before Start
- ``job``: runs one configured run folder start to end (queue slot, backend set-up, the task, saving)
- ``queue``: which waiting run trains next, slots across processes, estimated waits (every executor)
- ``executor``, ``ray_executor``: where jobs run (local worker processes, Ray tasks); starting runs and sweeps
- ``schedule``: learning-rate schedules as plain functions
- ``device``: the accelerator's memory and name

The worker process (``python -m lib.worker``) finds a run's task in the registry and calls ``job.run_job``.
"""
