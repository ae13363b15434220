"""Teaching dashboard for deep learning in medical imaging: the logic behind the pages.

Sub-packages, one concern each:

- ``lib.data``: readers for the Kaggle layouts (EyePACS, lung CT 2D and 3D), validation, downloads.
- ``lib.demo``: synthetic demo datasets written in exactly those layouts.
- ``lib.preprocess``: labels, sampling, splits, resizing and normalisation, sparse 3D labels, chunks.
- ``lib.config``: where the data lives.

Nothing in ``lib`` imports streamlit; TensorFlow is imported only where a model is built or trained.
"""

__version__ = "0.1.0"
