"""Teaching dashboard for deep learning in medical imaging: the logic behind the pages.

The packages and modules, in layers (each imports only the ones below it; ``.importlinter`` has the contracts):

- ``lib.cli``, ``lib.jobs.worker``: the entry points (``python -m lib ...``, ``python -m lib.jobs.worker RUN_DIR``).
- ``lib.tasks``: one module per task (``dr``, ``lung2d``, ``lung3d``) and the registry, the only place that looks a
  task up by name. A task module declares its dataset, settings, presets, data steps, training and read-backs.
- ``lib.jobs``: the run lifecycle: the job and its worker process, the executors (local processes, Ray), the queue and
  the measured speeds sit above the tasks; its ``lib.jobs.folder`` (the run folder) sits low, below the engine.
- ``lib.training``: the engine, handed a task: configurations, the context a task trains in, the loop, batch
  sources, progress, the time budget, schedules.
- ``lib.jobs.folder``: run folders (the protocol files, the schema of what they may hold, listing, loading, describing);
  ``lib.access``: who is using the app (identities, the class file, roles, limits).
- ``lib.diagnosis``, ``lib.notice``: a run read back to the student; ``lib.figures``: plotly figures, display images.
- ``lib.models``: model builders returning uncompiled, named Keras models, weights checks, Grad-CAM;
  ``lib.preprocess``: array transforms (labels, sampling, splits, resizing, augmentation, sparse 3D labels, chunks,
  the cached DR photo preprocessing, which reads through ``lib.data``).
- ``lib.data``: the datasets and their readers for the Kaggle layouts, with per-file validation; downloads.
- ``lib.demo``: synthetic demo datasets in those layouts; ``lib.metrics``: ROC, operating points, IoU and Dice,
  bootstrap intervals, the chance baseline (pure functions); ``lib.text``: numbers in words.
- ``lib.contract``: what a task declares (``Task``, ``Field``, ``Dataset``, ``Experiment``, ``TaskOption``,
  ``DataError``); ``lib.atomic``: atomic file writes; ``lib.paths``: where data, cache and runs live.

Nothing in ``lib`` imports streamlit; Keras and the frameworks are imported only where a model is built or trained,
inside the functions that need them, so the Streamlit server never loads them.
"""

__version__ = "0.3.0"
