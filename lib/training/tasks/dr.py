"""DR referral: balanced sample, preprocessing (cached), split, classifier, ROC on the test set."""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from sklearn.metrics import roc_auc_score

from lib.data.eyepacs import as_frame, read_eyepacs
from lib.models.classifier import build_dr_classifier
from lib.preprocess.fundus import preprocess_photos
from lib.preprocess.sampling import balanced_sample, referral_labels, split_indices
from lib.training.context import DataError, TaskContext


def _dataset(images: np.ndarray, labels: np.ndarray, batch: int, *, shuffle: bool, seed: int) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.float32)))
    if shuffle:
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch).map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def binary_cross_entropy(scores: np.ndarray, labels: np.ndarray, eps: float = 1e-7) -> float:
    p = np.clip(scores.astype(np.float64), eps, 1 - eps)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def train(ctx: TaskContext) -> dict:
    c = ctx.config
    ctx.phase("reading the dataset")
    report = read_eyepacs(c["data"])
    if not report.ok:
        raise DataError(f"DR dataset at {c['data']}: {report.fatal}")
    frame = as_frame(report.items)
    labels = referral_labels(frame["level"].to_numpy())
    picked = balanced_sample(labels, c["n_per_class"], seed=c["seed"])
    frame, labels = frame.iloc[picked].reset_index(drop=True), labels[picked]

    def preprocessing(done, total):
        if done % 25 == 0 or done == total:
            ctx.phase("preprocessing photos", fraction=done / total, message=f"{done}/{total}")

    result = preprocess_photos(frame["path"].tolist(), size=c["image_size"], cache_dir=ctx.cache_dir, progress=preprocessing)
    for problem in result.problems[:5]:
        ctx.note(f"skipped {problem.message}")
    frame, labels, images = frame.iloc[result.kept].reset_index(drop=True), labels[result.kept], result.images
    counts = np.bincount(labels, minlength=2)
    if counts.min() < 3:
        raise DataError(f"need at least 3 photos of each class to split train/validation/test, got {counts.tolist()}")
    parts = split_indices(len(labels), seed=c["seed"], stratify=labels)

    model, weights = build_dr_classifier(backbone=c["backbone"], image_size=c["image_size"], weights=c["weights"],
                                         freeze_backbone=c["freeze_backbone"])
    if weights.message:
        ctx.note(weights.message)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=c["learning_rate"]), loss="binary_crossentropy",
                  metrics=["accuracy"])
    train_idx, val_idx, test_idx = parts["train"], parts["val"], parts["test"]
    batch = c["batch_size"]
    reporter = ctx.reporter(epochs=c["epochs"], steps_per_epoch=math.ceil(len(train_idx) / batch), batch_size=batch)
    model.fit(_dataset(images[train_idx], labels[train_idx], batch, shuffle=True, seed=c["seed"]),
              validation_data=_dataset(images[val_idx], labels[val_idx], batch, shuffle=False, seed=0),
              epochs=c["epochs"], callbacks=[reporter], verbose=0, shuffle=False)
    ctx.save_model(model)

    ctx.phase("evaluating on the test set")
    scores = model.predict(_dataset(images[test_idx], labels[test_idx], 64, shuffle=False, seed=0), verbose=0).ravel()
    y = labels[test_idx]
    ctx.save_predictions(
        scores=scores.astype(np.float32), labels=y.astype(np.int64),
        levels=frame["level"].to_numpy()[test_idx].astype(np.int64),
        images=frame["image"].to_numpy()[test_idx].astype(str), paths=frame["path"].to_numpy()[test_idx].astype(str),
    )
    return {
        "accuracy": float(np.mean((scores >= 0.5) == y)),
        "auc": float(roc_auc_score(y, scores)) if len(np.unique(y)) == 2 else float("nan"),
        "loss": binary_cross_entropy(scores, y),
        "n_train": int(len(train_idx)), "n_val": int(len(val_idx)), "n_test": int(len(test_idx)),
        "weights_used": weights.used,
    }
