"""The DR referral page's sections. Widgets and rendering only; every number comes from ``lib``."""

from __future__ import annotations

import os

import streamlit as st

from lib import paths
from lib.contract import DataError
from lib.data.eyepacs import LEVEL_NAMES, LEVELS, UnreadablePhotoError, examples_per_level, load_thumbnail
from lib.data.check import DatasetCheck
from lib.figures.charts import class_counts_chart, level_histogram
from lib.models.weights import FOLDERS_NAMED, fit_problem_elsewhere
from lib.tasks import dr as task
from lib.training.config import ConfigError, make_config
from lib.text import plain
from ui import controls, presets
from ui.charts import chart, picture
from ui.notice import think

TASK = task.TASK
CLASS_NAMES = task.CLASS_NAMES
PREFIX = "dr"


@st.cache_data(show_spinner=False, max_entries=4096)
def thumbnail(path: str):
    """A 200-pixel-high preview of a photo (an RGB array), or None when it cannot be read (the caller skips it)."""
    try:
        return load_thumbnail(path, height=200)
    except (UnreadablePhotoError, OSError):
        return None


def preset_selector() -> None:
    presets.preset_selector(TASK.name, PREFIX,
                            help="Course defaults: MobileNetV2 at 224 px, batch 10, 30 epochs (for a GPU; batch 64 makes better use of one). Quick CPU demo: a small CNN at 128 px.")
    if st.session_state["dr_weights"] not in ("imagenet", "none"):  # a running run's weights file (after a reload)
        st.session_state["dr_weights_file"] = st.session_state["dr_weights"]
        st.session_state["dr_weights"] = "imagenet"


def data_section(report: DatasetCheck) -> None:
    """Steps 1-2: histogram, thumbnails per level, binary labels and the balanced sample."""
    st.header("1. The data")
    levels = report.summary["levels"]
    total = sum(levels.values())
    chart(level_histogram(levels, LEVEL_NAMES), name="Photos per DR level",
          summary=f"Bars of the {total:,} photos per DR level: "
                  + ", ".join(f"level {k} ({LEVEL_NAMES.get(k, k)}) {v:,}" for k, v in sorted(levels.items()))
                  + "; levels 2 to 4 are referred.",
          data=[{"level": k, "name": LEVEL_NAMES.get(k, str(k)), "photos": v, "referred": "yes" if k >= 2 else "no"}
                for k, v in sorted(levels.items())])
    st.caption("Levels 2-4 (vermilion, hatched) are referred to an ophthalmologist; 0-1 (blue) are not. "
               "In EyePACS 73.5 % of photos are level 0: a model that always says 'no refer' is right most of the time.")
    per_level = st.slider("Photos per level", 1, 8, 4)
    examples = examples_per_level(report.items, per_level, seed=0)
    for level in LEVELS:
        shown = [(thumbnail(str(photo.path)), photo.image) for photo in examples[level]]
        shown = [(img, cap) for img, cap in shown if img is not None]
        st.markdown(f"**Level {level}: {LEVEL_NAMES[level]}**")
        if shown:
            picture(st, [img for img, _ in shown], caption=[cap for _, cap in shown], width=220,
                    alt=[f"Fundus photo {cap}, DR level {level}: {LEVEL_NAMES[level]}" for _, cap in shown])
        else:
            st.caption("no photo of this level in the dataset")

    st.header("2. Refer or not: balanced sampling")
    think("imbalance")
    st.number_input(TASK.fields["n_per_class"].label, 1, 100000, key="dr_n_per_class", help=TASK.fields["n_per_class"].help)
    chosen = task.sample(report, _data_settings(str(report.path)))
    before = {CLASS_NAMES[k]: v for k, v in chosen.before.items()}
    after = {CLASS_NAMES[k]: v for k, v in chosen.after.items()}
    chart(class_counts_chart(before, after), name="Class counts before and after sampling",
          summary="Photos per class in the whole dataset ("
                  + ", ".join(f"{k} {v:,}" for k, v in before.items()) + ") and in the balanced sample ("
                  + ", ".join(f"{k} {v:,}" for k, v in after.items()) + ").")
    if chosen.capped:
        st.info(chosen.capped_message())


def _data_settings(data_path: str) -> dict:
    """The settings the data steps depend on, as the job will see them."""
    return {"data": data_path, "n_per_class": int(st.session_state["dr_n_per_class"]),
            "seed": int(st.session_state["dr_seed"]), "image_size": int(st.session_state["dr_image_size"]),
            "crop": st.session_state["dr_crop"]}


@st.cache_resource(show_spinner=False, max_entries=2)
def _prepared(data: str, n_per_class: int, seed: int, image_size: int, crop: str, cache_dir: str, stamp: tuple,
              _report: DatasetCheck):
    # Shared by every session and kept in memory (not copied per call), so moving a slider elsewhere on
    # the page does not reload thousands of cached photos from disk each time. The progress bar lives
    # inside: Streamlit replays a cached function's elements, and this one ends empty.
    config = {"data": data, "n_per_class": n_per_class, "seed": seed, "image_size": image_size, "crop": crop}
    bar = st.progress(0.0, text=f"Preprocessing the sample to {image_size}x{image_size} ...")
    try:
        return task.prepare(config, check=_report, cache_dir=cache_dir,
                            progress=lambda d, t: bar.progress(d / t, text=f"Preprocessing photos: {d}/{t}")
                            if d % 20 == 0 or d == t else None)
    finally:
        bar.empty()


def preprocessing_section(report: DatasetCheck) -> "task.Prepared | None":
    """Preprocess the sample (cached on disk), split it, and show a grid of training photos: exactly what the job
    will train on (both call ``lib.tasks.dr.prepare``)."""
    settings = _data_settings(str(report.path))
    size = settings["image_size"]
    st.header("3. Preprocessing and split")
    st.radio("Before resizing", ["fundus", "none"], key="dr_crop", horizontal=True,
             format_func=lambda c: {"fundus": "crop the square around the round fundus",
                                    "none": "resize the whole photo (the course's way: squashes the fundus)"}[c],
             help="Photos come in many aspect ratios with wide black borders; a plain resize squashes the round fundus "
                  "into an ellipse, differently for each camera.")
    try:
        data = _prepared(**settings, cache_dir=str(paths.cache_dir()), stamp=(report.n_items, len(report.problems)), _report=report)
    except DataError as exc:
        st.error(str(exc))
        return None
    how = "cropped to the fundus, " if settings["crop"] == "fundus" else ""
    st.caption(f"{len(data.frame)} photos {how}resized to {size}x{size} (Lanczos) and min-max scaled to [0, 1]; "
               f"{data.cache_hits} came straight from the cache.")
    if data.cache_note:
        st.warning(f"Not cached: {plain(data.cache_note)}.", icon=":material/folder_off:")
    for problem in data.problems:
        st.warning(f"Skipped: {plain(problem.message)}")
    cols = st.columns(3)
    for col, name in zip(cols, task.SPLITS):
        counts = data.counts(name)
        col.metric(f"{name} (60/20/20)", f"{sum(counts.values())} photos", f"{counts[1]} refer · {counts[0]} no refer", delta_color="off", delta_arrow="off")
    think("test_set")
    st.subheader("Sanity check: training photos with their labels")
    shown = data.indices("train")[:12]
    grid = data.frame.iloc[shown]
    captions = [f"{CLASS_NAMES[l]} (level {lv})" for l, lv in zip(grid["label"], grid["level"])]
    picture(st, list(data.images[shown]), caption=captions, width=150,
            alt=[f"Training photo {name}, preprocessed to {size} x {size}: {cap}"
                 for name, cap in zip(grid["image"], captions)])
    return data


def training_settings(data_path: str) -> dict | None:
    """Step 4: the model and training controls; returns a validated config, or None after showing what is wrong."""
    st.header("4. Model and training")
    left, right = st.columns(2)
    controls.control(TASK, PREFIX, "backbone", left)
    pretrained = st.session_state["dr_backbone"] == "mobilenetv2"
    left.selectbox("Pretrained weights", ["imagenet", "none"], key="dr_weights",
                   format_func=lambda w: {"imagenet": "ImageNet (downloaded if possible)", "none": "none: train from scratch"}.get(w, w),
                   disabled=not pretrained)
    weights_file = left.text_input("...or a local weights file (MobileNetV2 without top, .h5 or .keras)", key="dr_weights_file",
                                   help=f"Read only from {FOLDERS_NAMED}.", disabled=not pretrained)
    controls.control(TASK, PREFIX, "freeze_backbone", left, disabled=not pretrained)
    controls.draw(TASK, PREFIX, ("learning_rate", "epochs", "batch_size", "image_size", "seed"), right)
    presets.length_controls(TASK.name, PREFIX, right)
    presets.speed_controls(TASK.name, PREFIX)
    values = controls.values(TASK, PREFIX)
    if weights_file.strip() and values["backbone"] == "mobilenetv2":
        values["weights"] = weights_file.strip()
    with st.expander(f"What do you expect from a learning rate of {values['learning_rate']:g}?"):
        st.markdown("Think before you press Start: Adam moves each weight by about the learning rate per step. "
                    "What will the loss curve do at 1e-4, at 1e-3, at 0.1? Train and compare; the results explain "
                    "what happened.")
    try:
        config = make_config(TASK, preset=presets.chosen_preset(PREFIX, TASK.name), data=data_path, **values)
    except ConfigError as exc:
        st.error(str(exc))
        return None
    if config["backbone"] == "mobilenetv2" and config["weights"] not in ("imagenet", "none"):
        problem = _weights_fit(config["weights"], config["image_size"], _stamp(config["weights"]))
        if problem:
            st.error(problem)
            return None
    return config


def _stamp(path: str) -> tuple:
    try:
        info = os.stat(path)
    except OSError:
        return ()
    return (info.st_size, info.st_mtime_ns)


@st.cache_data(show_spinner="Checking the weights file ...", max_entries=32)
def _weights_fit(path: str, image_size: int, stamp: tuple) -> str | None:
    return fit_problem_elsewhere(path, image_size=image_size)
