"""The course's U-Net, in 2D or 3D from one builder.

Architecture for ``depth=2, filters=64`` (the course's)::

    conv 64 -> pool -> conv 128 -> pool -> conv 256 -> upsample -> conv 128 -> concat skip
            -> upsample -> conv 64 -> concat skip -> dropout -> 1x1 conv, sigmoid

3x3 (3x3x3) convolutions with "same" padding and ReLU; the filter count doubles at each level.
"""

from __future__ import annotations

import keras
from keras import layers

_OPS = {
    2: (layers.Conv2D, layers.MaxPooling2D, layers.UpSampling2D),
    3: (layers.Conv3D, layers.MaxPooling3D, layers.UpSampling3D),
}


def build_unet(*, spatial_dims: int = 2, input_shape: tuple | None = None, filters: int = 64, depth: int = 2,
               dropout: float = 0.5, name: str | None = None) -> keras.Model:
    """Build the U-Net.

    Parameters
    ----------
    spatial_dims : 2 or 3, keyword-only
    input_shape : tuple, keyword-only
        Without the batch axis, channels last: (H, W, C) or (D, H, W, C). ``None`` sizes are
        allowed (e.g. any number of slices in 3D); known sizes must divide by ``2 ** depth``.
        Default: fully variable with one channel.
    filters : int, keyword-only
        Filters of the first level.
    depth : int >= 1, keyword-only
        Number of pooling steps.
    dropout : float in [0, 1), keyword-only
        Dropout rate before the last 1x1 convolution (0 disables it).

    Returns
    -------
    keras.Model (uncompiled) mapping (batch, *spatial, C) to (batch, *spatial, 1) probabilities.
    """
    if spatial_dims not in _OPS:
        raise ValueError(f"spatial_dims must be 2 or 3, got {spatial_dims}")
    if depth < 1 or filters < 1:
        raise ValueError(f"depth and filters must be positive, got depth={depth}, filters={filters}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    input_shape = tuple(input_shape) if input_shape is not None else (None,) * spatial_dims + (1,)
    if len(input_shape) != spatial_dims + 1:
        raise ValueError(f"input_shape must have {spatial_dims + 1} entries (spatial axes and channels), got {input_shape}")
    for size in input_shape[:-1]:
        if size is not None and size % (2**depth):
            raise ValueError(f"spatial size {size} in {input_shape} must be divisible by 2**depth = {2 ** depth}")
    conv, pool, upsample = _OPS[spatial_dims]

    def block(x, n, label):
        return conv(n, 3, padding="same", activation="relu", name=label)(x)

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    skips = []
    for level in range(depth):
        x = block(x, filters * 2**level, f"down{level}_conv")
        skips.append(x)
        x = pool(2, name=f"down{level}_pool")(x)
    x = block(x, filters * 2**depth, "bottom_conv")
    for level in reversed(range(depth)):
        x = upsample(2, name=f"up{level}_upsample")(x)
        x = block(x, filters * 2**level, f"up{level}_conv")
        x = layers.Concatenate(name=f"up{level}_concat")([x, skips[level]])
    if dropout > 0:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = conv(1, 1, activation="sigmoid", dtype="float32", name="mask")(x)  # float32 under mixed precision too
    return keras.Model(inputs, outputs, name=name or f"unet{spatial_dims}d_f{filters}_d{depth}")
