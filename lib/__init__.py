"""Teaching dashboard for deep learning in medical imaging: the logic behind the pages.

Sub-packages and modules, one concern each:

- ``lib.tasks``: one module per task (``dr``, ``lung2d``, ``lung3d``) and the registry that lists them.
  A task module owns everything specific to it: its dataset, settings, presets, data steps and training.
- ``lib.data``: the datasets and their readers for the Kaggle layouts, with per-file validation; downloads.
- ``lib.demo``: synthetic demo datasets written in exactly those layouts.
- ``lib.preprocess``: array transforms: labels, sampling, splits, resizing, normalisation, augmentation,
  sparse 3D labels, chunks (and the cached DR photo preprocessing, which reads through ``lib.data``).
- ``lib.models``: model builders returning uncompiled, named Keras models.
- ``lib.metrics``: ROC and operating points, IoU and Dice (pure functions).
- ``lib.training``: the engine: configurations, the job, the worker, executors, progress, schedules.
- ``lib.runs``: run folders: the protocol files, listing, loading, describing.
- ``lib.figures``: plotly figures and display images (pure functions).
- ``lib.paths``: where the data, cache and runs live (environment variables).
- ``lib.atomic``: atomic file writes, used by everything that writes.
- ``lib.cli``: ``python -m lib ...``.

Dependencies go one way: ``preprocess`` may read through ``data``, never the reverse; ``tasks`` use
``data``, ``preprocess``, ``models`` and ``metrics``; the engine looks tasks up in the registry.
Nothing in ``lib`` imports streamlit; Keras and TensorFlow are imported only where a model is built or trained.
"""

__version__ = "0.2.0"
