"""Preprocessing and sampling: pure functions over numpy arrays, one concern per module.

- ``sampling``: referral labels, balanced sampling, seeded (stratified) splits
- ``images``: min-max, Lanczos / nearest resizing, uint8 <-> [0, 1]
- ``fundus``: DR photo preprocessing with an on-disk cache (reads photos through ``lib.data.eyepacs``)
- ``slices``: lung 2D slices and masks (reads pairs through ``lib.data.ct_slices``)
- ``volumes``: lung 3D volumes, sparse labels, training chunks, padding
- ``augment``: the same random shift, rotation and zoom for an image and its mask

``lib.data`` never imports from here: reading depends on nothing, preprocessing may read.
"""
