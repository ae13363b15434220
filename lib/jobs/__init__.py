"""Why a Start click ends as a trained run, whoever clicked and wherever it trains: the run lifecycle in one package.

- ``folder``: the run folder, the whole protocol between the pages and a job (``files``, ``protocol``, ``schema``,
  ``store``, ``describe``). It sits low: the engine (:mod:`lib.training`) reports progress into it, the pages read it.
- ``queue``: which waiting run trains next, the slots that bound how many train at once, the estimated waits.
- ``speed``: what this server measured, which prices the next run before its Start.
- ``job``: :func:`~lib.jobs.job.run_job`, one run from its folder to a final state (it finds the task, waits for a
  slot, hands the task to the engine, saves).
- ``worker``: the process a job runs in (``python -m lib.jobs.worker RUN_DIR``), which waits for a slot cheaply.
- ``executor``, ``ray_executor``: where jobs run (local worker processes, Ray tasks); starting runs and sweeps.

``folder`` sits below the tasks and the engine; ``queue`` and ``speed`` above the tasks, ``job`` and the executors
above those, ``worker`` at the top (``.importlinter``). The package imports none of them by itself: a waiting worker
must not pay for numpy and pandas.
"""
