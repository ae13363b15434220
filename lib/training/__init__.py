"""Why a task need not write its own training loop: the Keras engine.

It is handed a task (:class:`lib.contract.Task`) and never looks one up.

- ``config``: builds and validates a run's configuration from a task's settings and presets
- ``context``: what a task's ``train`` gets: its config, progress phases, stop checks, the compile helper, saving
- ``loop``: ``fit``, Keras' ``train_on_batch`` over the task's batches with whole-epoch figures, on any backend
- ``batches``: the one batch-source abstraction (``batch_source``, ``array_batches``)
- ``progress``: the Keras callbacks that report progress, keep the best checkpoint and follow the time budget
- ``budget``: the time budget's arithmetic and the expected duration shown before Start
- ``schedule``: learning-rate schedules as plain functions
- ``device``: the accelerator's memory and name

The run lifecycle around it (the run folder, the queue, the job, the worker process, the executors) is
:mod:`lib.jobs`; its job (:func:`lib.jobs.job.run_job`) finds a run's task in the registry and hands it to the engine.
"""
