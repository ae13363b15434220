"""Preprocessing and sampling: pure functions over numpy arrays, one concern per module.

- ``sampling``: referral labels, balanced sampling, seeded (stratified) splits
- ``images``: min-max, Lanczos / nearest resizing
- ``fundus``: DR photo preprocessing with an on-disk cache
- ``slices``: lung 2D slices and masks
- ``volumes``: lung 3D volumes, sparse labels, training chunks, padding
"""
