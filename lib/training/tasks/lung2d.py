"""Lung 2D: slices and masks, seeded split, augmentation in the tf.data pipeline, U-Net, IoU on the test set."""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from lib.data.lung2d import read_lung2d
from lib.metrics.segmentation import per_item_scores
from lib.models.unet import build_unet
from lib.preprocess.augment import AugmentRanges, augment_pair
from lib.preprocess.images import to_uint8_unit
from lib.preprocess.sampling import split_indices
from lib.preprocess.slices import load_slices
from lib.training.context import DataError, TaskContext
from lib.training.schedule import step_then_exponential


def make_dataset(images: np.ndarray, masks: np.ndarray, batch: int, *, ranges: AugmentRanges | None, seed: int,
                 shuffle: bool) -> tf.data.Dataset:
    """Batches of (image float32 (B, S, S, 1), mask float32 (B, S, S, 1)), augmented per batch on the fly."""
    ds = tf.data.Dataset.from_tensor_slices((images.astype(np.float32), masks.astype(np.float32)))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch)
    if ranges is not None and ranges.active:
        ds = ds.map(lambda x, y: augment_pair(x, y, ranges), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def train(ctx: TaskContext) -> dict:
    c = ctx.config
    ctx.phase("reading the dataset")
    report = read_lung2d(c["data"])
    if not report.ok:
        raise DataError(f"lung 2D dataset at {c['data']}: {report.fatal}")
    arrays = load_slices(report.items, size=c["image_size"],
                         progress=lambda d, t: ctx.phase("loading slices", fraction=d / t, message=f"{d}/{t}") if d % 20 == 0 else None)
    if len(arrays.names) < 3:
        raise DataError(f"need at least 3 usable slices, got {len(arrays.names)}")
    if c["image_size"] % 2 ** c["depth"]:
        raise DataError(f"image_size {c['image_size']} must be divisible by 2**depth = {2 ** c['depth']}")
    parts = split_indices(len(arrays.names), seed=c["seed"])
    x, y = arrays.images, arrays.masks
    ranges = AugmentRanges(shift=c["shift"], rotation=c["rotation"], zoom=c["zoom"])

    model = build_unet(spatial_dims=2, input_shape=(c["image_size"], c["image_size"], 1), filters=c["filters"],
                       depth=c["depth"], dropout=c["dropout"])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=c["learning_rate"]), loss="binary_crossentropy",
                  metrics=["accuracy"])
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: step_then_exponential(epoch, base=c["learning_rate"], decay_start=c["decay_start"],
                                                factor=c["decay_factor"]))
    batch = c["batch_size"]
    train_idx, val_idx, test_idx = parts["train"], parts["val"], parts["test"]
    reporter = ctx.reporter(epochs=c["epochs"], steps_per_epoch=math.ceil(len(train_idx) / batch), batch_size=batch)
    model.fit(make_dataset(x[train_idx], y[train_idx], batch, ranges=ranges, seed=c["seed"], shuffle=True),
              validation_data=make_dataset(x[val_idx], y[val_idx], batch, ranges=None, seed=0, shuffle=False),
              epochs=c["epochs"], callbacks=[schedule, reporter], verbose=0, shuffle=False)
    ctx.save_model(model)

    ctx.phase("evaluating on the test set")
    probs = model.predict(x[test_idx], batch_size=16, verbose=0)[..., 0]
    truth = y[test_idx][..., 0]
    scores = per_item_scores(probs, truth, threshold=0.5)
    ctx.save_predictions(images=to_uint8_unit(x[test_idx][..., 0]), masks=truth.astype(np.uint8),
                         probs=to_uint8_unit(probs), names=np.array(arrays.names)[test_idx].astype(str))
    return {
        "accuracy": float(np.mean((probs >= 0.5) == (truth > 0))),
        "mean_iou": float(scores["iou"].mean()),
        "mean_dice": float(scores["dice"].mean()),
        "n_train": int(len(train_idx)), "n_val": int(len(val_idx)), "n_test": int(len(test_idx)),
    }
