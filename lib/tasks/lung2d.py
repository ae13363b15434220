"""Lung 2D: segment the lungs in single CT slices with a U-Net.

The data steps (:func:`prepare`): read every slice and its mask, resize (image Lanczos, mask nearest
neighbour), min-max the image, then a seeded random 60 / 20 / 20 split over the slices that loaded.
Training (:func:`train`): augmentation in the input pipeline, the U-Net, the learning-rate schedule,
then the test slices' predicted masks for IoU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import replace
from typing import Callable

import numpy as np

from lib import diagnosis as d
from lib.contract import COMMON_FIELDS, SPEED_DEFAULTS, STEPS_FIELD, DataError, Field, Task
from lib.data.datasets import LUNGS
from lib.data.ct_slices import read_lung2d
from lib.data.check import DatasetCheck
from lib.figures.display import enlarge, error_overlay, to_grey_uint8
from lib.figures.segmentation import score_histogram
from lib.metrics.segmentation import overlap_metrics, per_item_scores, worst_item
from lib.preprocess.images import NORMALISATIONS, from_uint8_unit, to_uint8_unit
from lib.preprocess.sampling import split_indices
from lib.preprocess.augment import AugmentRanges, augment_pair
from lib.preprocess.slices import SliceArrays, load_slices
from lib.training.batches import array_batches
from lib.training.context import TaskContext
from lib.training.loop import fit
from lib.training.schedule import step_then_exponential

SPLITS = ("train", "val", "test")

FIELDS = {
    **COMMON_FIELDS,
    "learning_rate": replace(COMMON_FIELDS["learning_rate"], choices=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2)),
    "batch_size": replace(COMMON_FIELDS["batch_size"], choices=(4, 8, 16, 32)),
    "epochs": replace(COMMON_FIELDS["epochs"], offered=(1, 500)),
    "image_size": Field(int, 16, 512, label="Image size", widget="selectbox", choices=(64, 128, 256),
                        shown="image size {}", cap=(None, 256)),
    "filters": Field(int, 1, 256, label="Filters in the first level", widget="select_slider", choices=(4, 8, 16, 32, 64),
                     shown="filters {}", cap=(None, 64)),
    "depth": Field(int, 1, 5, label="Depth (pooling steps)", widget="select_slider", choices=(1, 2, 3, 4),
                   shown="depth {}", cap=(None, 4)),
    "dropout": Field(float, 0.0, 0.95, label="Dropout before the last layer", widget="slider", step=0.05, shown="",
                     offered=(0.0, 0.9)),
    "steps_per_epoch": STEPS_FIELD,
    "decay_start": Field(int, 0, 1000, label="Decay starts at epoch", shown="", offered=(0, 500), costs=False),
    "decay_factor": Field(float, 0.01, 1.0, label="Decay factor per epoch after that", widget="slider", step=0.005,
                          shown="", offered=(0.5, 1.0), costs=False),
    # the augmentation section of the page offers these three beside its preview (ui/lung2d.py)
    "shift": Field(float, 0.0, 0.5, label="Shift (fraction of width / height)", widget="", shown="", costs=False),
    "rotation": Field(float, 0.0, 180.0, label="Rotation (degrees)", widget="", shown="", costs=False),
    "zoom": Field(float, 0.0, 0.9, label="Zoom (fraction)", widget="", shown="", costs=False),
    "normalise": Field(str, choices=NORMALISATIONS, widget="", shown="", costs=False,
                       help="lung_window: a fixed HU window (scanner padding cannot squash the lungs); minmax: each "
                            "slice by its own range (the course's)"),
}

PRESETS = {
    "course": dict(image_size=128, filters=64, depth=2, dropout=0.5, epochs=40, batch_size=16,
                   learning_rate=1e-3, decay_start=20, decay_factor=round(math.exp(-0.1), 4),
                   shift=0.1, rotation=10.0, zoom=0.1, seed=0, normalise="minmax", steps_per_epoch=0, time_budget_s=0.0, **SPEED_DEFAULTS),
    # The course's 128 px with 8 filters: a step costs about what 64 px with 16 filters cost (a convolution's work grows
    # with the pixels and the square of the filters), so the slowest laptops still train their 300 steps, and the
    # lungs are segmented at the course's resolution: mean slice IoU 0.952 (64 px: 0.895, below the 0.90 goal) in
    # 38 s here and in 57 s on one core capped at AVX2 (bench/presets.py, docs/performance.md)
    "quick": dict(image_size=128, filters=8, depth=2, dropout=0.5, epochs=30, batch_size=16,
                  learning_rate=3e-3, decay_start=20, decay_factor=round(math.exp(-0.1), 4),
                  shift=0.1, rotation=10.0, zoom=0.1, seed=0, normalise="lung_window", steps_per_epoch=10,
                  time_budget_s=110.0, **SPEED_DEFAULTS),
}


def step_cost(config: dict) -> float:
    """The relative work of one training step: slices x pixels x filters squared x levels (each level of a U-Net
    has a quarter of the pixels and twice the filters of the one above: about the same work)."""
    return (float(config.get("batch_size") or 1) * float(config.get("image_size") or 128) ** 2
            * float(config.get("filters") or 16) ** 2 * (int(config.get("depth") or 2) + 1))


def check(config: dict) -> None:
    if config["image_size"] % 2 ** config["depth"]:
        raise ValueError(f"lung2d.image_size {config['image_size']} must be divisible by 2**depth = {2 ** config['depth']}")


@dataclass
class Prepared:
    """The slices that loaded (``arrays``, in file order) and the split: ``parts[name]`` indexes ``arrays``."""

    arrays: SliceArrays
    parts: dict[str, np.ndarray]

    def ids(self, split: str) -> list[str]:
        """The slice file names in ``split``."""
        return [self.arrays.names[i] for i in self.parts[split]]


def prepare(config: dict, *, check: DatasetCheck | None = None,
            progress: Callable[[int, int], None] | None = None) -> Prepared:
    """Load and preprocess every usable slice of ``config``'s dataset, and split them.

    Raises
    ------
    DataError
        The dataset is unusable, or fewer than 3 slices loaded.
    """
    report = check if check is not None else read_lung2d(config["data"])
    if not report.ok:
        raise DataError(f"lung 2D dataset at {config['data']}: {report.fatal}")
    arrays = load_slices(report.items, size=config["image_size"], normalise=config["normalise"], progress=progress)
    if len(arrays.names) < 3:
        raise DataError(f"need at least 3 usable slices to split them into train, validation and test, got {len(arrays.names)}")
    return Prepared(arrays=arrays, parts=split_indices(len(arrays.names), seed=config["seed"]))


def make_dataset(images: np.ndarray, masks: np.ndarray, batch: int, *, ranges: AugmentRanges | None, seed: int,
                 shuffle: bool, steps: int | None = None):
    """Batches of (image float32 (B, S, S, 1), mask float32 (B, S, S, 1)), reshuffled and freshly augmented every
    epoch (seeded) with :func:`lib.preprocess.augment.augment_pair` (OpenCV, the preview's own code, any Keras
    backend); ``steps`` batches per epoch, or one pass over the slices."""

    def prepare(x, y, *, rng):
        x, y = x.astype(np.float32), y.astype(np.float32)
        return augment_pair(x, y, ranges, rng=rng) if ranges is not None and ranges.active else (x, y)

    return array_batches((images, masks), batch, shuffle=shuffle, seed=seed, transform=prepare, steps=steps)


def train(ctx: TaskContext) -> dict:
    import keras  # framework: the job's process only (the learning-rate schedule's callback), never the Streamlit server

    from lib.models.unet import build_unet  # framework: Keras too

    c = ctx.config
    ctx.phase("reading the dataset")
    data = prepare(c, progress=lambda d, t: ctx.phase("loading slices", fraction=d / t, message=f"{d}/{t}")
                   if d % 20 == 0 else None)
    x, y = data.arrays.images, data.arrays.masks
    for problem in data.arrays.problems[:5]:
        ctx.note(problem.message)
    ctx.save_split({split: data.ids(split) for split in ("train", "val", "test")})
    ranges = AugmentRanges(shift=c["shift"], rotation=c["rotation"], zoom=c["zoom"])
    ctx.describe_training_data(inputs=x[data.parts["train"]], labels=y[data.parts["train"]])

    model = build_unet(spatial_dims=2, input_shape=(c["image_size"], c["image_size"], 1), filters=c["filters"],
                       depth=c["depth"], dropout=c["dropout"])
    ctx.compile(model)
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: step_then_exponential(epoch, base=c["learning_rate"], decay_start=c["decay_start"],
                                                factor=c["decay_factor"]))
    batch = c["batch_size"]
    train_idx, val_idx, test_idx = (data.parts[s] for s in SPLITS)
    train_set = make_dataset(x[train_idx], y[train_idx], batch, ranges=ranges, seed=c["seed"], shuffle=True,
                             steps=c["steps_per_epoch"])
    callbacks = ctx.callbacks(epochs=c["epochs"], steps_per_epoch=len(train_set), batch_size=batch,
                              evaluation_cost=len(test_idx) / max(1, len(val_idx)), inputs=train_set)
    fit(model, train_set, validation=make_dataset(x[val_idx], y[val_idx], batch, ranges=None, seed=0, shuffle=False),
        epochs=c["epochs"], callbacks=[schedule, *callbacks])
    ctx.save_trained(model)

    ctx.phase("evaluating on the test set", stoppable=False)
    probs = ctx.finite(model.predict(x[test_idx], batch_size=16, verbose=0)[..., 0], "predicted pixels")
    truth = y[test_idx][..., 0]
    ctx.save_predictions(images=to_uint8_unit(x[test_idx][..., 0]), masks=truth.astype(np.uint8),
                         probs=to_uint8_unit(probs), names=np.array(data.ids("test")).astype(str))
    return {
        "accuracy": float(np.mean((probs >= 0.5) == (truth > 0))),
        **overlap_metrics(probs, truth),
        "n_train": int(len(train_idx)), "n_val": int(len(val_idx)), "n_test": int(len(test_idx)),
    }


def diagnose(*, history, predictions, metrics: dict, status: dict, config: dict | None = None) -> list:
    """What went wrong (or is worth noticing) in a finished or stopped run (:mod:`lib.diagnosis`)."""
    specific, at_chance = [], None
    if predictions is not None:
        probs = from_uint8_unit(predictions["probs"])
        specific = [d.no_foreground(probs, predictions["masks"], what="slice")]
        at_chance = d.segmentation_at_chance(probs, predictions["masks"])
    return d.combine(history, status, specific, config=config, items="slices", unit="pixel", positive="lung",
                     usual_learning_rates=USUAL_LEARNING_RATES, test_at_chance=at_chance)


USUAL_LEARNING_RATES = (1e-4, 3e-3)  # the course trains at 1e-3


def report_figures(predictions, config, chosen: float | None) -> list:
    """A Lung 2D run's test results for a student's report: the IoU of every test slice, and the worst slice's
    errors (green found, orange false alarm, magenta missed)."""
    threshold = 0.5 if chosen is None else chosen
    probs = from_uint8_unit(predictions["probs"])
    iou = per_item_scores(probs, predictions["masks"], threshold=threshold)["iou"]
    worst = worst_item(iou)
    grey = to_grey_uint8(from_uint8_unit(predictions["images"][worst]))
    errors = enlarge(error_overlay(grey, predictions["masks"][worst], probs[worst] >= threshold), at_least=384)
    return [(f"IoU of each of the {len(iou)} test slices at threshold {threshold:g} (mean {float(iou.mean()):.3f})",
             score_histogram(iou)),
            (f"The worst test slice, {predictions['names'][worst]} (IoU {iou[worst]:.3f}): green found, orange false "
             "alarm, magenta missed", errors)]


TASK = Task(
    name="lung2d",
    items="slices",
    title="Lung 2D",
    dataset=LUNGS,
    data_folder="2d_images",
    read=read_lung2d,
    inspect=read_lung2d,
    fields=FIELDS,
    presets=PRESETS,
    headline="mean_slice_iou",
    report_figures=report_figures,
    metric_aliases={"mean_slice_iou": "mean_iou", "mean_slice_dice": "mean_dice"},  # the names before round 3
    label_settings=("filters", "depth", "image_size", "learning_rate", "epochs"),
    prepare=prepare,
    train=train,
    diagnose=diagnose,
    check=check,
    usual_learning_rates=USUAL_LEARNING_RATES,
    quick_goal=(120.0, 0.90, 1.0),
    step_cost=step_cost,
    icon=":material/pulmonology:",
    summary="segment the lungs in single CT slices with a small U-Net (augmentation, IoU)",
)
