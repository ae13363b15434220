"""Lung 3D from sparse labels: volumes by role, sparse slice labels, chunk pipeline, 3D U-Net, whole-volume IoU."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from lib.data.lung3d import BadVolumeError, read_lung3d, load_volume
from lib.metrics.segmentation import dice, iou, per_item_scores
from lib.models.unet import build_unet
from lib.preprocess.images import to_uint8_unit
from lib.preprocess.volumes import crop_slices, labelled_fraction, pad_slices, prepare_volume, sample_chunks, sparse_labels
from lib.training.context import DataError, TaskContext


def chunk_dataset(images, labels, *, depth: int, batch: int, seed: int, steps: int | None) -> tf.data.Dataset:
    """(x, y, w) batches of ``depth``-slice chunks; ``steps=None`` is endless, else a fixed, repeatable set."""
    in_plane = images[0].shape[1:]
    spec = tf.TensorSpec((batch, depth) + in_plane, tf.float32)

    def generate():
        rng = np.random.default_rng(seed)
        count = 0
        while steps is None or count < steps:
            chunk = sample_chunks(images, labels, depth=depth, batch=batch, rng=rng)
            yield chunk.x, chunk.y, chunk.w
            count += 1

    return tf.data.Dataset.from_generator(generate, output_signature=(spec, spec, spec)).prefetch(2)


def predict_volume(model: keras.Model, volume: np.ndarray, *, depth: int) -> np.ndarray:
    """Probabilities for a whole volume (N, H, W, 1): zero-pad axis 0 to a multiple of 2**depth, predict, crop back."""
    padded, n = pad_slices(volume, 2**depth)
    probs = model.predict(padded[None], batch_size=1, verbose=0)[0]
    return crop_slices(probs, n)


def _load(pairs, volume_id, stride):
    if volume_id not in pairs:
        raise DataError(f"volume {volume_id} not found; the dataset has {', '.join(sorted(pairs)) or 'none'}")
    try:
        image, mask = load_volume(pairs[volume_id], stride=stride)
    except BadVolumeError as exc:
        raise DataError(str(exc)) from exc
    return prepare_volume(image, mask)


def train(ctx: TaskContext) -> dict:
    c = ctx.config
    ctx.phase("reading the volumes")
    report = read_lung3d(c["data"])
    if not report.ok:
        raise DataError(f"lung 3D dataset at {c['data']}: {report.fatal}")
    pairs = {p.volume_id: p for p in report.items}
    train_ids = [v.strip() for v in c["train_volumes"].split(",") if v.strip()]
    if c["chunk_depth"] % 2 ** c["depth"]:
        raise DataError(f"chunk_depth {c['chunk_depth']} must be divisible by 2**depth = {2 ** c['depth']}")
    train_x, train_y = [], []
    for i, volume_id in enumerate(train_ids):
        ctx.phase("loading volumes", fraction=i / (len(train_ids) + 2), message=f"IMG_{volume_id}")
        x, y = _load(pairs, volume_id, c["stride"])
        if x.shape[1] % 2 ** c["depth"] or x.shape[2] % 2 ** c["depth"]:
            raise DataError(f"in-plane size {x.shape[1:3]} of IMG_{volume_id} must be divisible by 2**depth")
        train_x.append(x)
        train_y.append(sparse_labels(y, c["label_fraction"], seed=c["seed"] + i))
    val_x, val_y = _load(pairs, c["val_volume"], c["stride"])
    test_x, test_y = _load(pairs, c["test_volume"], c["stride"])
    kept = float(np.mean([labelled_fraction(labels) for labels in train_y]))

    depth, batch = c["chunk_depth"], c["batch_size"]
    model = build_unet(spatial_dims=3, input_shape=(None,) + train_x[0].shape[1:], filters=c["filters"],
                       depth=c["depth"], dropout=0.0)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=c["learning_rate"]), loss="binary_crossentropy",
                  weighted_metrics=["accuracy"])
    reporter = ctx.reporter(epochs=c["epochs"], steps_per_epoch=c["steps_per_epoch"], batch_size=batch)
    model.fit(chunk_dataset(train_x, train_y, depth=depth, batch=batch, seed=c["seed"], steps=None),
              steps_per_epoch=c["steps_per_epoch"], epochs=c["epochs"],
              validation_data=chunk_dataset([val_x], [val_y], depth=depth, batch=batch, seed=c["seed"] + 100,
                                            steps=c["validation_steps"]),
              validation_steps=c["validation_steps"], callbacks=[reporter], verbose=0, shuffle=False)
    ctx.save_model(model)

    ctx.phase("predicting the test volume")
    probs = predict_volume(model, test_x, depth=c["depth"])[..., 0]
    truth = test_y[..., 0]
    per_slice = per_item_scores(probs, truth)["iou"]
    ctx.save_predictions(image=test_x[..., 0].astype(np.float16), mask=truth.astype(np.uint8), probs=to_uint8_unit(probs),
                         per_slice_iou=per_slice.astype(np.float32), volume_id=np.array(c["test_volume"]))
    return {
        "mean_iou": iou(probs, truth),
        "dice": dice(probs, truth),
        "accuracy": float(np.mean((probs >= 0.5) == (truth > 0))),
        "label_fraction": c["label_fraction"],
        "labelled_voxel_fraction": kept,
        "test_volume": c["test_volume"],
    }
