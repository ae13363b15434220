"""Saved runs made by hand (no training), for page and browser tests."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from lib.data import read_eyepacs, read_lung2d, read_lung3d
from lib.data.ct_volumes import load_volume
from lib.preprocess.images import to_uint8_unit
from lib.preprocess.slices import load_slices
from lib.preprocess.volumes import prepare_volume
from lib.jobs.folder import files
from lib.jobs.folder.protocol import update_status
from lib.jobs.folder.store import SHARED_OWNER, RunStore
from lib.tasks import config_for


def make_running_run(store: RunStore, config: dict, owner: str, *, label: str = "live run") -> Path:
    """A run started from a page whose worker is alive (this test process), so the panel follows it."""
    import os

    from lib.jobs.folder.protocol import process_identity

    run_dir = store.create({**config, "watch": True}, owner=owner, label=label)
    update_status(run_dir, state="running", pid=os.getpid(), pid_started=process_identity(os.getpid()), host=files.host(),
                  started=time.time())
    return run_dir


def _finish(store: RunStore, config: dict, metrics: dict, history_metrics: dict, label: str, *,
            owner: str = SHARED_OWNER, **predictions) -> Path:
    run_dir = store.create(config, owner=owner, label=label)
    rows = [{"epoch": e + 1, **{k: v * (0.9 ** e) for k, v in history_metrics.items()}, "learning_rate": 1e-3,
             "partial": False, "time": time.time()} for e in range(3)]
    files.write_history_atomic(run_dir / files.HISTORY, rows)
    files.write_json_atomic(run_dir / files.METRICS, metrics)
    files.write_npz_atomic(run_dir / files.PREDICTIONS, **predictions)
    update_status(run_dir, state="done", ended=time.time())
    return run_dir


def make_dr_run(store: RunStore, eyepacs: Path, *, seed: int = 0, owner: str = SHARED_OWNER, **settings) -> Path:
    """A finished DR run on the demo photos with noisy but informative scores (AUC about 0.85)."""
    photos = read_eyepacs(eyepacs).items
    rng = np.random.default_rng(seed)
    labels = np.array([int(p.level >= 2) for p in photos])
    scores = np.clip(0.35 + 0.3 * labels + rng.normal(0, 0.2, len(photos)), 0, 1).round(3)
    from sklearn.metrics import roc_auc_score

    config = config_for("dr", preset="quick", data=str(eyepacs), **settings)
    return _finish(store, config, {"accuracy": float(np.mean((scores >= 0.5) == labels)), "loss": 0.5,
                                   "auc": float(roc_auc_score(labels, scores))},
                   {"loss": 0.7, "accuracy": 0.6, "val_loss": 0.72, "val_accuracy": 0.58}, "tiny DR run",
                   scores=scores.astype(np.float32), labels=labels, levels=np.array([p.level for p in photos]),
                   images=np.array([p.image for p in photos]), paths=np.array([str(p.path) for p in photos]), owner=owner)


def make_lung2d_run(store: RunStore, lungs: Path, *, owner: str = SHARED_OWNER) -> Path:
    """A finished lung 2D run whose 'predictions' are the true masks, eroded or shifted a little."""
    arrays = load_slices(read_lung2d(lungs).items, size=64)
    masks = arrays.masks[..., 0]
    probs = np.roll(masks, shift=np.arange(len(masks)) % 3, axis=2).astype(np.float32) * 0.9 + 0.05
    config = config_for("lung2d", preset="quick", data=str(lungs), image_size=64)
    from lib.metrics.segmentation import overlap_metrics

    return _finish(store, config, {"accuracy": 0.97, **overlap_metrics(probs, masks)},
                   {"loss": 0.4, "accuracy": 0.9, "val_loss": 0.45, "val_accuracy": 0.88}, "tiny lung 2D run", owner=owner,
                   images=to_uint8_unit(arrays.images[..., 0]), masks=masks.astype(np.uint8), probs=to_uint8_unit(probs),
                   names=np.array(arrays.names))


def make_lung3d_run(store: RunStore, lungs: Path, *, fraction: float = 0.3, owner: str = SHARED_OWNER) -> Path:
    """A finished lung 3D run on the demo test volume, prediction = truth shifted by one slice."""
    config = config_for("lung3d", preset="quick", data=str(lungs), stride=2, label_fraction=fraction)
    pair = {p.volume_id: p for p in read_lung3d(lungs).items}["0078"]
    image, mask = prepare_volume(*load_volume(pair, stride=2), normalise=config["normalise"])
    truth = mask[..., 0]
    probs = np.roll(truth, 1, axis=0).astype(np.float32)
    from lib.metrics.segmentation import overlap_metrics, per_item_scores

    return _finish(store, config, {**overlap_metrics(probs, truth), "accuracy": 0.98,
                                   "label_fraction": fraction, "labelled_voxel_fraction": 0.6, "test_volume": "0078"},
                   {"loss": 0.3, "accuracy": 0.95, "val_loss": 0.35, "val_accuracy": 0.94}, f"tiny lung 3D run {fraction}",
                   image=image[..., 0].astype(np.float16), mask=truth, probs=to_uint8_unit(probs),
                   per_slice_iou=per_item_scores(probs, truth)["iou"].astype(np.float32), volume_id=np.array("0078"),
                   owner=owner)
