"""Lung 3D from sparse labels: segment the lungs in CT volumes with a 3D U-Net.

The data steps (:func:`prepare`): the volumes in their roles (train, validation, test), each read
with every ``stride``-th row and column and scaled (``normalise``: HU / 3071, the course's, or a fixed lung
window), and the sparse labels of the training volumes (a fraction of the slices along each axis keeps its label). Training (:func:`train`): chunks
of slices sampled along axis 0, the 3D U-Net with the loss weighted to the labelled voxels, then a
prediction of the whole test volume for IoU.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from lib import diagnosis as d
from lib.contract import COMMON_FIELDS, SPEED_DEFAULTS, DataError, Experiment, Field, Task
from lib.data.datasets import LUNGS
from lib.data.ct_volumes import BadVolumeError, VolumePair, load_volume, read_lung3d
from lib.data.check import DatasetCheck
from lib.metrics.segmentation import overlap_metrics, per_item_scores
from lib.figures.display import busiest_index, ct_grey, enlarge, error_overlay, plane
from lib.figures.segmentation import per_slice_chart
from lib.preprocess.images import from_uint8_unit, to_uint8_unit
from lib.preprocess.volumes import (
    IGNORE_LABEL as IGNORE, VOLUME_NORMALISATIONS, crop_slices, labelled_fraction, pad_slices, prepare_volume, sample_chunks, sparse_labels,
)
from lib.training.batches import batch_source
from lib.training.context import TaskContext
from lib.training.loop import fit

AUTO = "auto"  # a volume role chosen from the data (see default_roles)
KAGGLE_ROLES = {"train": ["0002", "0031"], "val": ["0059"], "test": ["0078"]}

FIELDS = {
    **COMMON_FIELDS,
    "learning_rate": replace(COMMON_FIELDS["learning_rate"], choices=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2)),
    "epochs": replace(COMMON_FIELDS["epochs"], offered=(1, 500)),
    "batch_size": replace(COMMON_FIELDS["batch_size"], label="Batch size (chunks)", widget="number", offered=(1, 64)),
    # the volumes' section of the page offers these (stride, roles, normalisation) beside the volumes themselves
    "stride": Field(int, 1, 32, label="In-plane downsampling (512 -> 64 at 8)", widget="", shown="", cap=(4, None)),
    "label_fraction": Field(float, 0.001, 1.0, label="Fraction of slices labelled along each axis", widget="",
                            shown="{:.0%} labelled", costs=False),
    "filters": Field(int, 1, 256, label="Filters in the first level", widget="select_slider", choices=(2, 4, 8, 16, 32, 64),
                     shown="filters {}", cap=(None, 64)),
    "depth": Field(int, 1, 4, label="Depth (pooling steps)", widget="select_slider", choices=(1, 2, 3), shown="",
                   cap=(None, 4)),
    "chunk_depth": Field(int, 4, 512, label="Chunk depth (slices per training sample)", widget="select_slider",
                         choices=(8, 16, 32, 64), shown="", cap=(None, 64)),
    "steps_per_epoch": Field(int, 1, 10000, label="Steps per epoch", shown="", offered=(1, 1000), cap=(None, 200)),
    "validation_steps": Field(int, 1, 10000, label="Validation steps", shown="", offered=(1, 1000), cap=(None, 50)),
    "train_volumes": Field(str, help='comma-separated volume ids, e.g. 0002,0031, or "auto"', widget="", shown="",
                           costs=False),
    "val_volume": Field(str, help='a volume id, or "auto"', widget="", shown="", costs=False),
    "test_volume": Field(str, help='a volume id, or "auto"', widget="", shown="", costs=False),
    "normalise": Field(str, choices=VOLUME_NORMALISATIONS, widget="", shown="", costs=False,
                       help="hu_scale: HU / 3071 (the course's); lung_window: a fixed HU window mapped to [0, 1]"),
}

PRESETS = {
    "course": dict(stride=8, label_fraction=0.3, filters=64, depth=2, chunk_depth=64, epochs=20,
                   steps_per_epoch=20, validation_steps=20, batch_size=8, learning_rate=1e-3,
                   train_volumes=AUTO, val_volume=AUTO, test_volume=AUTO, seed=0, normalise="hu_scale", time_budget_s=0.0, **SPEED_DEFAULTS),
    # The course's stride (64 x 64 in-plane): at 32 x 32 (stride 16) real CT fell from a pooled IoU of about 0.90 to
    # 0.80. Measured with bench/presets.py (docs/performance.md): 0.887 in 126 s on a 2-core AVX-512 CPU, 0.869 in 217 s
    # on one core capped at AVX2 (the time budget kept 20 of the 25 epochs), 0.923 on bench/real_like.py's CT (stride 16:
    # 0.895, 0.926 and 0.803). A CPU slower still gets fewer epochs from the budget, and the diagnosis says so.
    "quick": dict(stride=8, label_fraction=0.3, filters=8, depth=2, chunk_depth=32, epochs=25,
                  steps_per_epoch=16, validation_steps=4, batch_size=4, learning_rate=3e-3,
                  train_volumes=AUTO, val_volume=AUTO, test_volume=AUTO, seed=0, normalise="lung_window",
                  time_budget_s=220.0, **SPEED_DEFAULTS),
}


def train_ids(config: dict) -> list[str]:
    """The training volumes' ids, in the order given."""
    return [v.strip() for v in config["train_volumes"].split(",") if v.strip()]


def check(config: dict) -> None:
    raw = str(config["train_volumes"]).strip()
    items = [v.strip() for v in raw.split(",")]
    if raw != AUTO and (not raw or not all(items)):
        raise ValueError(f"lung3d.train_volumes {config['train_volumes']!r} must be volume ids separated by commas "
                         f"(e.g. 0002,0031) or {AUTO}; it names an empty one")
    if AUTO in items and len(items) > 1:
        raise ValueError(f"lung3d.train_volumes {config['train_volumes']!r} mixes {AUTO} with volume ids: give the ids "
                         f"alone, or {AUTO} alone")
    for name in ("val_volume", "test_volume"):
        if not str(config[name]).strip() or "," in str(config[name]):
            raise ValueError(f"lung3d.{name} {config[name]!r} must be one volume id or {AUTO}")
    roles = [v for v in train_ids(config) + [config["val_volume"], config["test_volume"]] if v != AUTO]
    if len(set(roles)) != len(roles):
        raise ValueError(f"lung3d volumes must differ between train, validation and test, got {roles}")
    if config["chunk_depth"] % 2 ** config["depth"]:
        raise ValueError(f"lung3d.chunk_depth {config['chunk_depth']} must be divisible by 2**depth = {2 ** config['depth']}")


def check_data(config: dict, report: DatasetCheck) -> None:
    """Every volume the settings name must be in the dataset, and the roles must be fillable: ValueError naming the
    setting and the volumes there are (checked before a run folder is made, not when the job starts)."""
    ids = sorted(p.volume_id for p in report.items)
    for name in ("train_volumes", "val_volume", "test_volume"):
        wanted = train_ids(config) if name == "train_volumes" else [config[name]]
        missing = [v for v in wanted if v != AUTO and v not in ids]
        if missing:
            raise ValueError(f"{name} names {', '.join(missing)}, which the dataset at {config['data']} does not hold; "
                             f"its volumes are {', '.join(ids) or 'none'} (or auto)")
    resolve_roles(config, {p.volume_id: int(p.shape[0]) if p.shape else 0 for p in report.items})


def default_roles(slices: dict[str, int]) -> dict[str, list[str]]:
    """Volume roles that fit the data: Kaggle's (0002 and 0031 train, 0059 validates, 0078 tests) where those
    ids are all present; else the largest volumes train, the next largest validates, the smallest tests.

    Parameters
    ----------
    slices : {volume id: number of slices}

    Examples
    --------
    >>> default_roles({"a": 40, "b": 10, "c": 30, "d": 20})
    {'train': ['a', 'c'], 'val': ['d'], 'test': ['b']}
    """
    if all(v in slices for role in KAGGLE_ROLES.values() for v in role):
        return {role: list(ids) for role, ids in KAGGLE_ROLES.items()}
    if len(slices) < 3:
        raise DataError(f"need at least 3 volumes (train, validation, test), found {len(slices)}: {', '.join(slices) or 'none'}")
    ordered = sorted(slices, key=lambda v: (-slices[v], v))
    return {"train": ordered[:-2], "val": [ordered[-2]], "test": [ordered[-1]]}


def resolve_roles(config: dict, slices: dict[str, int]) -> tuple[dict[str, list[str]], bool]:
    """The roles of ``config`` with every "auto" filled in from :func:`default_roles` (volumes named
    explicitly keep their role and are not reused); also whether anything was chosen by size (not the
    course's Kaggle roles), which the run then says."""
    given = {"train": [v for v in train_ids(config) if v != AUTO], "val": [config["val_volume"]] if config["val_volume"] != AUTO else [],
             "test": [config["test_volume"]] if config["test_volume"] != AUTO else []}
    wanted = {"train": AUTO in train_ids(config) or not given["train"], "val": not given["val"], "test": not given["test"]}
    if not any(wanted.values()):
        return given, False
    taken = {v for ids in given.values() for v in ids}
    free = {v: n for v, n in slices.items() if v not in taken}
    if all(wanted.values()):
        roles = default_roles(slices)
        return roles, roles != KAGGLE_ROLES
    ordered = sorted(free, key=lambda v: (-free[v], v))
    roles = dict(given)
    if wanted["test"]:
        roles["test"] = [ordered.pop()] if ordered else []
    if wanted["val"]:
        roles["val"] = [ordered.pop()] if ordered else []
    if wanted["train"]:
        roles["train"] = ordered
    if not all(roles.values()):
        raise DataError(f"not enough volumes for a training, a validation and a test role; the dataset has {', '.join(slices)}")
    return roles, True


Volume = tuple[np.ndarray, np.ndarray]  # image (N, H, W, 1) float32 as ``normalise`` scales it, mask (N, H, W, 1) uint8 {0, 1}


def load_prepared(pair: VolumePair, stride: int, normalise: str = "hu_scale") -> Volume:
    """One volume and its mask as the model sees them; raises DataError naming the file."""
    try:
        image, mask = load_volume(pair, stride=stride)
        return prepare_volume(image, mask, normalise=normalise)
    except (BadVolumeError, ValueError) as exc:
        raise DataError(f"{pair.image_path.name}: {exc}") from exc


def training_labels(mask: np.ndarray, config: dict, index: int) -> np.ndarray:
    """The sparse labels of the ``index``-th training volume (seeded by the run's seed and the index)."""
    return sparse_labels(mask, config["label_fraction"], seed=config["seed"] + index)


@dataclass
class Prepared:
    """The volumes in their roles; ``train_labels[i]`` are the sparse labels of ``train[i]``."""

    roles: dict[str, list[str]]  # {"train": [...], "val": [id], "test": [id]}
    volumes: dict[str, Volume]
    train_labels: list[np.ndarray]
    chosen: bool = False  # some roles were "auto" and chosen from the data
    spacing: dict = field(default_factory=dict)  # {volume id: voxel size (slices, rows, columns) after the stride}

    def roles_sentence(self) -> str:
        return (f"training on {', '.join('IMG_' + v for v in self.roles['train'])}, validating on IMG_{self.roles['val'][0]}, "
                f"testing on IMG_{self.roles['test'][0]}")

    def ids(self, split: str) -> list[str]:
        return list(self.roles[split])

    @property
    def labelled_voxel_fraction(self) -> float:
        return float(np.mean([labelled_fraction(labels) for labels in self.train_labels]))


def prepare(config: dict, *, check: DatasetCheck | None = None, load: Callable[[VolumePair, int, str], Volume] = load_prepared,
            progress: Callable[[int, int, str], None] | None = None) -> Prepared:
    """Load the volumes of every role and the training volumes' sparse labels.

    ``load(pair, stride, normalise)`` reads one volume (the page passes a cached one).

    Raises
    ------
    DataError
        The dataset is unusable, a volume is missing or damaged, or the in-plane size does not fit the model.
    """
    report = check if check is not None else read_lung3d(config["data"])
    if not report.ok:
        raise DataError(f"lung 3D dataset at {config['data']}: {report.fatal}")
    pairs = {p.volume_id: p for p in report.items}
    roles, chosen = resolve_roles(config, {v: int(p.shape[0]) if p.shape else 0 for v, p in pairs.items()})
    order = [v for split in ("train", "val", "test") for v in roles[split]]
    volumes = {}
    for i, volume_id in enumerate(order):
        if volume_id not in pairs:
            raise DataError(f"volume {volume_id} not found; the dataset has {', '.join(sorted(pairs)) or 'none'}")
        if progress is not None:
            progress(i, len(order), f"IMG_{volume_id}")
        volumes[volume_id] = load(pairs[volume_id], config["stride"], config.get("normalise", "hu_scale"))
        in_plane = volumes[volume_id][0].shape[1:3]
        if in_plane[0] % 2 ** config["depth"] or in_plane[1] % 2 ** config["depth"]:
            raise DataError(f"in-plane size {in_plane} of IMG_{volume_id} must be divisible by 2**depth = {2 ** config['depth']}")
    sizes = {v: volumes[v][0].shape[1:3] for v in order}
    if len(set(sizes.values())) > 1:
        first = order[0]
        odd = next(v for v in order if sizes[v] != sizes[first])
        raise DataError(f"IMG_{odd} is {sizes[odd][0]}x{sizes[odd][1]} in-plane after the stride, but IMG_{first} is "
                        f"{sizes[first][0]}x{sizes[first][1]}: one model needs volumes of one in-plane size")
    labels = [training_labels(volumes[v][1], config, i) for i, v in enumerate(roles["train"])]
    stride = config["stride"]
    spacing = {v: (pairs[v].spacing[0], pairs[v].spacing[1] * stride, pairs[v].spacing[2] * stride) for v in order}
    return Prepared(roles=roles, volumes=volumes, train_labels=labels, chosen=chosen, spacing=spacing)


def chunk_dataset(images, labels, *, depth: int, batch: int, seed: int, steps: int, fresh: bool = True):
    """A :func:`lib.training.batches.batch_source` of ``steps`` (x, y, w) batches of ``depth``-slice chunks per epoch.

    ``fresh``: new random chunks every epoch (training); else the same, repeatable chunks every epoch
    (validation). Each batch is drawn from its own seeded generator, so batch ``i`` of epoch ``e`` is the
    same whatever order they are asked for in.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")

    def make(epoch: int, index: int) -> tuple:
        chunk = sample_chunks(images, labels, depth=depth, batch=batch,
                              rng=np.random.default_rng([seed, epoch if fresh else 0, index]))
        return chunk.x, chunk.y, chunk.w

    return batch_source(steps, make)


def predict_volume(model, volume: np.ndarray, *, depth: int) -> np.ndarray:
    """Probabilities for a whole volume (N, H, W, 1): zero-pad axis 0 to a multiple of 2**depth, predict, crop back."""
    padded, n = pad_slices(volume, 2**depth)
    probs = model.predict(padded[None], batch_size=1, verbose=0)[0]
    return crop_slices(probs, n)


def train(ctx: TaskContext) -> dict:
    from lib.models.unet import build_unet  # framework: Keras: only in the job, never in the Streamlit server

    c = ctx.config
    ctx.phase("reading the volumes")
    data = prepare(c, progress=lambda i, n, name: ctx.phase("loading volumes", fraction=i / n, message=name))
    if data.chosen:
        ctx.note(f"Volume roles chosen from the data: {data.roles_sentence()}.")
    ctx.save_split({split: data.ids(split) for split in ("train", "val", "test")})
    train_x = [data.volumes[v][0] for v in data.roles["train"]]
    val_x, val_y = data.volumes[data.roles["val"][0]]
    test_x, test_y = data.volumes[data.roles["test"][0]]

    labels = np.concatenate([lab.reshape(-1) for lab in data.train_labels])
    ctx.describe_training_data(inputs=np.concatenate(train_x), labels=(labels == 1).astype(np.uint8),
                               weights=(labels != IGNORE).astype(np.float32))
    depth, batch = c["chunk_depth"], c["batch_size"]
    model = build_unet(spatial_dims=3, input_shape=(None,) + train_x[0].shape[1:], filters=c["filters"],
                       depth=c["depth"], dropout=0.0)
    ctx.compile(model, weighted=True)  # the ignored voxels (weight 0) count neither in the loss nor the accuracy
    train_set = chunk_dataset(train_x, data.train_labels, depth=depth, batch=batch, seed=c["seed"], steps=c["steps_per_epoch"])
    validation_slices = c["validation_steps"] * batch * depth
    callbacks = ctx.callbacks(epochs=c["epochs"], steps_per_epoch=c["steps_per_epoch"], batch_size=batch,
                              evaluation_cost=len(test_x) / validation_slices, inputs=train_set)
    fit(model, train_set, epochs=c["epochs"], callbacks=callbacks,
        validation=chunk_dataset([val_x], [val_y], depth=depth, batch=batch, seed=c["seed"] + 100,
                                 steps=c["validation_steps"], fresh=False))
    ctx.save_trained(model)

    ctx.phase("predicting the test volume", stoppable=False)
    probs = ctx.finite(predict_volume(model, test_x, depth=c["depth"])[..., 0], "predicted voxels")
    truth = test_y[..., 0]
    per_slice = per_item_scores(probs, truth)["iou"]
    test_id = data.roles["test"][0]
    ctx.save_predictions(image=test_x[..., 0].astype(np.float16), mask=truth.astype(np.uint8), probs=to_uint8_unit(probs),
                         per_slice_iou=per_slice.astype(np.float32), volume_id=np.array(test_id),
                         spacing=np.asarray(data.spacing[test_id], dtype=np.float32))
    return {
        **overlap_metrics(probs, truth),
        "accuracy": float(np.mean((probs >= 0.5) == (truth > 0))),
        "label_fraction": c["label_fraction"],
        "labelled_voxel_fraction": data.labelled_voxel_fraction,
        "test_volume": data.roles["test"][0],
    }


def test_spacing(config: dict, predictions: dict) -> tuple[float, float, float]:
    """The voxel size (slices, rows, columns) of a run's test volume as the model saw it: saved with the predictions,
    else (a run from before they carried it) read from the volume's header in the dataset, else 1 mm times the
    stride in-plane."""
    if "spacing" in predictions:
        return tuple(float(v) for v in predictions["spacing"])
    stride = int(config.get("stride", 1))
    try:
        pair = {p.volume_id: p for p in read_lung3d(config["data"]).items}[str(predictions["volume_id"])]
        return (pair.spacing[0], pair.spacing[1] * stride, pair.spacing[2] * stride)
    except (KeyError, OSError, ValueError, TypeError):
        return (1.0, float(stride), float(stride))


def _inspect(path):
    return read_lung3d(path, deep=True)


USUAL_LEARNING_RATES = (1e-4, 3e-3)  # the course trains at 1e-3, the quick preset at 3e-3


def diagnose(*, history, predictions, metrics: dict, status: dict, config: dict | None = None) -> list:
    """What went wrong (or is worth noticing) in a finished or stopped run (:mod:`lib.diagnosis`)."""
    specific, at_chance = [], None
    if predictions is not None:
        probs = from_uint8_unit(predictions["probs"])
        specific = [d.no_foreground(probs, predictions["mask"], what="volume")]
        at_chance = d.segmentation_at_chance(probs, predictions["mask"])
    return d.combine(history, status, specific, config=config, items="chunks", unit="voxel", positive="lung",
                     usual_learning_rates=USUAL_LEARNING_RATES, test_at_chance=at_chance)


def step_cost(config: dict) -> float:
    """The relative work of one training step: chunks x slices per chunk x in-plane pixels (a 512 x 512 slice taken
    every ``stride`` rows and columns) x filters squared x levels."""
    return (float(config.get("batch_size") or 1) * float(config.get("chunk_depth") or 32)
            * (512.0 / float(config.get("stride") or 8)) ** 2 * float(config.get("filters") or 8) ** 2
            * (int(config.get("depth") or 2) + 1))


def report_figures(predictions, config, chosen: float | None) -> list:
    """A Lung 3D run's test results for a student's report: the IoU of each axial slice of the test volume, and its
    busiest axial slice's errors."""
    threshold = 0.5 if chosen is None else chosen
    probs = from_uint8_unit(predictions["probs"])
    truth, image = predictions["mask"], predictions["image"].astype("float32")
    iou = per_item_scores(probs, truth, threshold=threshold)["iou"]
    pooled = overlap_metrics(probs, truth, threshold=threshold)["pooled_iou"]
    index = busiest_index(truth, 0)
    grey = ct_grey(plane(image, 0, index), config.get("normalise", "hu_scale"))
    errors = enlarge(error_overlay(grey, plane(truth, 0, index), plane(probs >= threshold, 0, index)), at_least=384)
    return [(f"IoU of each axial slice of the test volume at threshold {threshold:g} (pooled IoU {pooled:.3f})",
             per_slice_chart(iou)),
            (f"Axial slice {index}: green found, orange false alarm, magenta missed", errors)]


TASK = Task(
    name="lung3d",
    items="chunks",
    title="Lung 3D",
    dataset=LUNGS,
    data_folder="3d_images",
    read=read_lung3d,
    inspect=_inspect,
    fields=FIELDS,
    presets=PRESETS,
    headline="pooled_iou",
    report_figures=report_figures,
    metric_aliases={"pooled_iou": "mean_iou", "pooled_dice": "dice"},  # the names before round 3
    label_settings=("label_fraction", "filters", "learning_rate", "epochs"),
    prepare=prepare,
    train=train,
    diagnose=diagnose,
    check=check,
    check_data=check_data,
    usual_learning_rates=USUAL_LEARNING_RATES,
    experiments=(Experiment(name="label_fraction", title="IoU against the fraction of labelled slices",
                            setting="label_fraction", values=(0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
                            default=(0.05, 0.1, 0.3, 1.0), metric="pooled_iou", question="sparse_labels",
                            figure_title="How close does sparse labelling get to full labelling?",
                            x_title="fraction of slices labelled per axis", y_title="test IoU (pooled over the volume)",
                            log_x=True, reference=1.0, reference_name="full labels", values_label="Fractions to train",
                            button="Train one run per fraction (queued)"),),
    quick_goal=(240.0, 0.85, 1.0),
    step_cost=step_cost,
    icon=":material/view_in_ar:",
    summary="segment lungs in CT volumes with a 3D U-Net trained from sparse slice labels",
)
