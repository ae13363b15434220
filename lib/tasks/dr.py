"""DR referral: refer / don't refer a diabetic patient from a colour fundus photograph.

The data steps (:func:`prepare`): EyePACS levels to binary referral labels, a balanced sample of N
per class (seeded), preprocessing of every sampled photo (cached on disk), a stratified, seeded
60 / 20 / 20 split. The page shows exactly what the job trains on, because both call ``prepare``.
Training (:func:`train`): a MobileNetV2 or small-CNN classifier, then the test set's scores for the ROC and the
validation set's (``val_scores``, ``val_labels``, ``val_images`` in predictions.npz: what a temperature is fitted on).
:func:`score_photos` scores any EyePACS-layout folder with a finished run's model (the demo's second site).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from lib import diagnosis as d
from lib.atomic import atomic_path
from lib.contract import COMMON_FIELDS, SPEED_DEFAULTS, STEPS_FIELD, DataError, Field, Task, TaskOption
from lib.data.datasets import EYEPACS
from lib.data.scores import scores_csv
from lib.data.eyepacs import UnreadablePhotoError, as_frame, read_eyepacs
from lib.data.check import DatasetCheck, Problem
from lib.figures.charts import roc_figure
from lib.metrics.roc import point_on_curve, roc, youden_index
from lib.models.weights import fit_problem_checked, path_problem
from lib.preprocess.fundus import CROPS, preprocess_photo, preprocess_photos
from lib.preprocess.images import from_uint8_unit, to_uint8_unit
from lib.preprocess.sampling import balanced_sample, class_counts, referral_labels, split_indices
from lib.jobs.folder import files
from lib.training.batches import array_batches
from lib.training.context import TaskContext
from lib.training.loop import fit

CLASS_NAMES = {0: "no refer", 1: "refer"}
SPLITS = ("train", "val", "test")
MIN_PER_CLASS = 3  # one photo of each class in each of train / validation / test

LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)

FIELDS = {
    **COMMON_FIELDS,
    "learning_rate": replace(COMMON_FIELDS["learning_rate"], choices=LEARNING_RATES,
                             help="The course's lesson: 0.1 fails to learn; 1e-4 to 1e-3 works."),
    "backbone": Field(str, choices=("mobilenetv2", "small_cnn"), label="Backbone", widget="radio",
                      names={"mobilenetv2": "MobileNetV2 (transfer learning)", "small_cnn": "Small CNN (from scratch)"}),
    # the page offers the weights as a choice plus a file field (ui/dr.py), so no generic control
    "weights": Field(str, help='"imagenet", "none" or a path to a weights file', widget="", costs=False),
    "freeze_backbone": Field(bool, label="Freeze the backbone (train the head only)", widget="checkbox", shown=""),
    "image_size": Field(int, 32, 512, label="Image size (pixels)", widget="selectbox", choices=(96, 128, 160, 192, 224),
                        shown="image size {}", cap=(None, 224)),
    "n_per_class": Field(int, 1, 100000, label="Photos per class (N)", widget="", shown="", cap=(None, 2000), costs=False,
                         help="The course takes 2,000 of each class; when a class has fewer, every class gives that many."),
    "steps_per_epoch": STEPS_FIELD,
    "crop": Field(str, choices=CROPS, widget="", shown="", costs=False,
                  help="fundus: crop the square around the round fundus before resizing; none: resize the whole photo "
                       "(the course's)"),
}

PRESETS = {
    "course": dict(backbone="mobilenetv2", weights="imagenet", freeze_backbone=False, image_size=224,
                   n_per_class=2000, epochs=30, batch_size=10, learning_rate=1e-4, seed=0, crop="fundus",
                   steps_per_epoch=0, time_budget_s=0.0, **SPEED_DEFAULTS),
    "quick": dict(backbone="small_cnn", weights="none", freeze_backbone=False, image_size=128,
                  n_per_class=200, epochs=20, batch_size=16, learning_rate=1e-3, seed=0, crop="fundus",
                  steps_per_epoch=15, time_budget_s=110.0, **SPEED_DEFAULTS),
}
# The course's batch of 10 leaves a GPU mostly idle (MobileNetV2 at 224 px: about 3x the photos per second at 64 on
# an H200); the same training otherwise, for a GPU server. The course preset keeps the course's 10.
PRESETS["course_gpu"] = {**PRESETS["course"], "batch_size": 64}


# The work of one photo through each backbone at 224 px relative to the small CNN's (forward and backward, measured
# as steps per second on one CPU; rough: a scaled estimate says it is rough).
_BACKBONE_COST = {"mobilenetv2": 6.0, "small_cnn": 1.0}


def step_cost(config: dict) -> float:
    """The relative work of one training step: photos x pixels x the backbone's weight (half when it is frozen)."""
    frozen = 0.5 if config.get("freeze_backbone") else 1.0
    return (float(config.get("batch_size") or 1) * float(config.get("image_size") or 224) ** 2
            * _BACKBONE_COST.get(config.get("backbone"), 1.0) * frozen)


@dataclass
class Sample:
    """The balanced sample: ``frame`` has one row per sampled photo (image, level, path, patient, eye, label);
    ``before`` / ``after`` count each class in the whole dataset and in the sample."""

    frame: pd.DataFrame
    before: dict[int, int]
    after: dict[int, int]
    n_per_class: int

    @property
    def capped(self) -> bool:
        """True when the smaller class had fewer photos than asked for (each class then gives that many)."""
        return min(self.after.values()) < self.n_per_class

    def capped_message(self) -> str | None:
        """What a person should know when the sample is smaller than asked, else None."""
        if not self.capped:
            return None
        smaller = min(self.before, key=self.before.get)
        return (f"Only {self.before[smaller]} {CLASS_NAMES[smaller]} photos in the dataset: the sample takes "
                f"{self.after[smaller]} of each class instead of {self.n_per_class}, so that it stays balanced.")


def sample(report: DatasetCheck, config: dict) -> Sample:
    """Referral labels and the seeded balanced sample of ``config["n_per_class"]`` photos per class."""
    frame = as_frame(report.items)
    labels = referral_labels(frame["level"].to_numpy())
    picked = balanced_sample(labels, config["n_per_class"], seed=config["seed"])
    chosen = frame.iloc[picked].reset_index(drop=True).assign(label=labels[picked])
    return Sample(frame=chosen, before=class_counts(labels, (0, 1)), after=class_counts(chosen["label"], (0, 1)),
                  n_per_class=int(config["n_per_class"]))


@dataclass
class Prepared:
    """What training sees.

    frame : the photos that were read, one row each, with ``label`` and ``split`` ("train", "val", "test")
    images : ndarray (len(frame), size, size, 3), uint8 (0..255 for 0..1), row i belongs to frame row i
    problems : the sampled photos that could not be read
    cache_hits : photos that came from the preprocessing cache
    cache_note : why the cache could not be used, or None
    """

    sample: Sample
    frame: pd.DataFrame
    images: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    cache_hits: int = 0
    cache_note: str | None = None

    def indices(self, split: str) -> np.ndarray:
        """Rows of ``frame`` / ``images`` in ``split``, ascending."""
        return np.flatnonzero(self.frame["split"].to_numpy() == split)

    def ids(self, split: str) -> list[str]:
        """The photo ids (e.g. "10_left") in ``split``."""
        return self.frame["image"].to_numpy()[self.indices(split)].tolist()

    def counts(self, split: str) -> dict[int, int]:
        return class_counts(self.frame["label"].to_numpy()[self.indices(split)], (0, 1))


def prepare(config: dict, *, check: DatasetCheck | None = None, cache_dir: str | Path | None = None,
            progress: Callable[[int, int], None] | None = None) -> Prepared:
    """Sample, preprocess (cached) and split the photos of ``config``.

    Raises
    ------
    DataError
        The dataset is unusable, or too few photos of a class could be read to split them.
    """
    report = check if check is not None else read_eyepacs(config["data"])
    if not report.ok:
        raise DataError(f"DR dataset at {config['data']}: {report.fatal}")
    chosen = sample(report, config)
    result = preprocess_photos(chosen.frame["path"].tolist(), size=config["image_size"], crop=config["crop"],
                               cache_dir=cache_dir, progress=progress)
    kept = chosen.frame.iloc[result.kept].reset_index(drop=True)
    counts = np.bincount(kept["label"].to_numpy(), minlength=2)
    if counts.min() < MIN_PER_CLASS:
        raise DataError(f"need at least {MIN_PER_CLASS} readable photos of each class to split them into train, "
                        f"validation and test; got {counts[0]} no refer and {counts[1]} refer")
    parts = split_indices(len(kept), seed=config["seed"], stratify=kept["label"].to_numpy())
    split = np.empty(len(kept), dtype=object)
    for name, index in parts.items():
        split[index] = name
    return Prepared(sample=chosen, frame=kept.assign(split=split), images=result.images, problems=result.problems,
                    cache_hits=result.cache_hits, cache_note=result.cache_note)


def binary_cross_entropy(scores: np.ndarray, labels: np.ndarray, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy of probabilities ``scores`` against 0 / 1 ``labels``.

    Examples
    --------
    >>> round(binary_cross_entropy(np.array([0.5, 0.5]), np.array([0, 1])), 4)
    0.6931
    """
    p = np.clip(scores.astype(np.float64), eps, 1 - eps)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def _dataset(images: np.ndarray, labels: np.ndarray, batch: int, *, shuffle: bool, seed: int, steps: int | None = None):
    """Batches of (photos float32 in [0, 1] (B, S, S, 3), labels float32 (B,)) from the uint8 photos, converted one
    batch at a time (bounded memory), reshuffled every epoch (seeded); ``steps`` batches per epoch, or one pass;
    any Keras backend."""
    return array_batches((images, labels), batch, shuffle=shuffle, seed=seed, steps=steps,
                         transform=lambda x, y, rng: (from_uint8_unit(x), y.astype(np.float32)))


def predict_scores(model, images: np.ndarray, *, batch: int = 64) -> np.ndarray:
    """Scores (n,) float32 for uint8 photos (n, s, s, 3), converted to [0, 1] one batch at a time (bounded memory)."""
    parts = [np.asarray(model.predict_on_batch(from_uint8_unit(images[i:i + batch]))).reshape(-1)
             for i in range(0, len(images), batch)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def train(ctx: TaskContext) -> dict:
    from lib.models.classifier import build_dr_classifier  # framework: Keras: only in the job, never in the Streamlit server

    c = ctx.config
    ctx.phase("reading the dataset")

    def preprocessing(done, total):
        if done % 25 == 0 or done == total:
            ctx.phase("preprocessing photos", fraction=done / total, message=f"{done}/{total}")

    data = prepare(c, cache_dir=ctx.cache_dir, progress=preprocessing)
    if data.sample.capped:
        ctx.note(data.sample.capped_message())
    for problem in data.problems[:5]:
        ctx.note(f"skipped {problem.message}")
    ctx.save_split({split: data.ids(split) for split in ("train", "val", "test")})
    labels, images = data.frame["label"].to_numpy(), data.images
    train_idx, val_idx, test_idx = (data.indices(s) for s in SPLITS)
    ctx.describe_training_data(inputs=images[train_idx], labels=labels[train_idx])

    model, weights = build_dr_classifier(backbone=c["backbone"], image_size=c["image_size"], weights=c["weights"],
                                         freeze_backbone=c["freeze_backbone"])
    if weights.fell_back and c["weights"] not in ("imagenet", "none"):
        # an explicit file that does not load: stop rather than spend the run training from scratch
        raise DataError(f"{weights.message.removesuffix('; training from scratch instead.')}. The run stopped before "
                        "training: choose another file, or 'none' to train from scratch.")
    if weights.message:
        ctx.note(weights.message)
    ctx.compile(model)
    batch = c["batch_size"]
    train_set = _dataset(images[train_idx], labels[train_idx], batch, shuffle=True, seed=c["seed"], steps=c["steps_per_epoch"])
    callbacks = ctx.callbacks(epochs=c["epochs"], steps_per_epoch=len(train_set), batch_size=batch,
                              evaluation_cost=(len(test_idx) + len(val_idx)) / max(1, len(val_idx)), inputs=train_set)
    fit(model, train_set, validation=_dataset(images[val_idx], labels[val_idx], batch, shuffle=False, seed=0),
        epochs=c["epochs"], callbacks=callbacks)
    ctx.save_trained(model)

    ctx.phase("evaluating on the test set", stoppable=False)
    scores = ctx.finite(predict_scores(model, images[test_idx]), "test scores")
    y = labels[test_idx]
    test = data.frame.iloc[test_idx]
    # the validation set's scores too (a fifth of the photos, one forward pass): a temperature is fitted on them
    val_scores = ctx.finite(predict_scores(model, images[val_idx]), "validation scores")
    ctx.save_predictions(
        scores=scores.astype(np.float32), labels=y.astype(np.int64), levels=test["level"].to_numpy().astype(np.int64),
        images=test["image"].to_numpy().astype(str), paths=test["path"].to_numpy().astype(str),
        val_scores=val_scores.astype(np.float32), val_labels=labels[val_idx].astype(np.int64),
        val_images=data.frame["image"].to_numpy()[val_idx].astype(str),
    )
    return {
        "accuracy": float(np.mean((scores >= 0.5) == y)),
        "auc": float(roc_auc_score(y, scores)) if len(np.unique(y)) == 2 else float("nan"),
        "loss": binary_cross_entropy(scores, y),
        "n_train": int(len(train_idx)), "n_val": int(len(val_idx)), "n_test": int(len(test_idx)),
        "weights_used": weights.used,
    }


def check(config: dict) -> None:
    """A weights file must be a usable path before a run starts (not a Keras error after training from scratch)."""
    if config["backbone"] == "mobilenetv2":
        problem = path_problem(config["weights"])
        if problem:
            raise ValueError(problem)


def check_data(config: dict, report: DatasetCheck) -> None:
    """A weights file must load into MobileNetV2 without its top at the run's image size, before a run folder is made
    (checked in a child process, so the caller never imports Keras; remembered per file and size)."""
    if config["backbone"] == "mobilenetv2" and config["weights"] not in ("imagenet", "none"):
        problem = fit_problem_checked(config["weights"], image_size=config["image_size"])
        if problem:
            raise ValueError(problem)


def _inspect(path):
    return read_eyepacs(path)


# The course's lesson: 0.1 fails, about 1e-4 to 1e-3 works.
USUAL_LEARNING_RATES = (1e-4, 1e-3)


def diagnose(*, history, predictions, metrics: dict, status: dict, config: dict | None = None) -> list:
    """What went wrong (or is worth noticing) in a finished or stopped run (:mod:`lib.diagnosis`)."""
    specific, scores, labels = [], None, None
    if predictions is not None:
        scores, labels = predictions["scores"], predictions["labels"]
        specific = [d.one_class(scores, labels, names=tuple(CLASS_NAMES.values())),
                    d.below_chance(metrics.get("auc"), len(labels))]
    auc = metrics.get("auc")
    return d.combine(history, status, specific, config=config, items="photos", positive="referable",
                     usual_learning_rates=USUAL_LEARNING_RATES, test_at_chance=d.classifier_at_chance(auc, scores, labels),
                     headline="AUC", value=auc, chance=0.5)


def report_figures(predictions, config, chosen: float | None) -> list:
    """A DR run's test results for a student's report: the ROC with the chosen operating point (Youden's by default)
    and its figures."""
    curve = roc(predictions["scores"], predictions["labels"])
    name = "the threshold you chose"
    if chosen is None:
        chosen, name = float(curve.thresholds[youden_index(curve)]), "Youden's J (you chose none)"
    point = point_on_curve(curve, chosen, prevalence=0.2)
    caption = (f"ROC of the test set (AUC {curve.auc:.3f}); {name}: threshold {chosen:.4f}, sensitivity "
               f"{point.sensitivity:.1%}, specificity {point.specificity:.1%}, TP {point.tp}, FP {point.fp}, "
               f"FN {point.fn}, TN {point.tn}; at a prevalence of 20 %: PPV {point.ppv_at_prevalence:.1%}, "
               f"NPV {point.npv_at_prevalence:.1%}")
    return [(caption, roc_figure(curve.fpr, curve.tpr, auc=curve.auc, point=(1 - point.specificity, point.sensitivity),
                                 point_name=name))]


def saliency(run_dir: str | Path, photo: str | Path, out: str | Path) -> dict:
    """Grad-CAM of one photo under a finished run's model (:mod:`lib.models.gradcam`), preprocessed as the run's photos
    were; writes ``out`` (.npz: photo uint8, cam float16, score) and returns {"out", "score"}.

    Raises
    ------
    ValueError
        The run has no readable config or no saved model, or the photo cannot be read (naming it).
    """
    from lib.models.gradcam import grad_cam  # framework: Keras: only in the child process that computes it

    run_dir, photo = Path(run_dir), Path(photo)
    config = files.read_json(run_dir / files.CONFIG)
    model_path = run_dir / files.MODEL
    if not model_path.is_file():
        raise ValueError(f"{run_dir.name} has no saved model")
    try:
        image = to_uint8_unit(preprocess_photo(photo, size=int(config["image_size"]), crop=config.get("crop", "none")))
    except (UnreadablePhotoError, OSError) as exc:
        raise ValueError(f"{photo.name}: {exc}") from exc
    import keras  # framework: the child process that computes the heat map only

    model = keras.models.load_model(model_path, compile=False)
    cam, score = grad_cam(model, from_uint8_unit(image))
    with atomic_path(Path(out)) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, photo=image, cam=cam.astype(np.float16), score=np.float32(score))
    return {"out": str(out), "score": float(score)}


def score_photos(run_dir: str | Path, data: str | Path, *, cache_dir: str | Path | None = None) -> dict:
    """A finished run's model's scores on every readable photo of another EyePACS-layout folder, preprocessed as the
    run's photos were (its image size and crop): how the model does on another site.

    Returns
    -------
    {"scores": (n,) float32, "labels": (n,) int64 referral labels, "levels": (n,) int64, "images": (n,) str ids}

    Raises
    ------
    ValueError
        No readable config or model in ``run_dir``; the folder is not a usable EyePACS layout; no photo could be read.
    """
    run_dir = Path(run_dir)
    config = files.read_json(run_dir / files.CONFIG)
    if not (run_dir / files.MODEL).is_file():
        raise ValueError(f"{run_dir.name} has no saved model")
    found = read_eyepacs(data)
    if not found.ok:
        raise ValueError(f"{data}: {found.fatal}")
    frame = as_frame(found.items)
    result = preprocess_photos(frame["path"].tolist(), size=int(config["image_size"]), crop=config.get("crop", "none"),
                               cache_dir=cache_dir)
    if len(result.kept) == 0:
        raise ValueError(f"{data}: none of its photos could be read")
    kept = frame.iloc[result.kept]
    import keras  # framework: only in the child process that scores the photos

    model = keras.models.load_model(run_dir / files.MODEL, compile=False)
    return {"scores": predict_scores(model, result.images), "labels": referral_labels(kept["level"].to_numpy()),
            "levels": kept["level"].to_numpy().astype(np.int64), "images": kept["image"].to_numpy().astype(str)}


def score_photos_csv(run_dir: str | Path, data: str | Path, out: str | Path, *, cache_dir=None) -> dict:
    """:func:`score_photos` written as a scores CSV (:func:`lib.data.scores.scores_csv`) to ``out``; returns
    {"out", "n"}."""
    scored = score_photos(run_dir, data, cache_dir=cache_dir)
    with atomic_path(Path(out)) as tmp:
        Path(tmp).write_text(scores_csv(scored["scores"], scored["labels"], ids=scored["images"]))
    return {"out": str(out), "n": int(scored["scores"].size)}


def _weights_option(value: str) -> dict:
    """``--weights FILE`` implies the MobileNetV2 backbone (only it takes pretrained weights); ``--weights none``
    leaves the backbone as the preset says."""
    return {"weights": value} if value == "none" else {"weights": value, "backbone": "mobilenetv2"}


TASK = Task(
    name="dr",
    items="photos",
    title="DR referral",
    dataset=EYEPACS,
    data_folder="train",
    read=read_eyepacs,
    inspect=_inspect,
    fields=FIELDS,
    presets=PRESETS,
    headline="auc",
    label_settings=("backbone", "weights", "image_size", "learning_rate", "epochs"),
    prepare=prepare,
    train=train,
    check=check,
    check_data=check_data,
    diagnose=diagnose,
    usual_learning_rates=USUAL_LEARNING_RATES,
    options=(TaskOption("--weights", "imagenet, none, or a weights file (implies the mobilenetv2 backbone)",
                        _weights_option),),
    saliency=saliency,
    score_folder=score_photos_csv,
    report_figures=report_figures,
    quick_goal=(120.0, 0.80, 0.97),
    step_cost=step_cost,
    epoch_size=("n_per_class",),
    icon=":material/visibility:",
    summary="refer or not refer a diabetic patient from a colour fundus photograph (class imbalance, balanced "
            "sampling, transfer learning, ROC and the operating point)",
)
