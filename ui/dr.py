"""The DR referral page's sections. Widgets and rendering only; every number comes from ``lib``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lib import config as paths
from lib.data.eyepacs import LEVEL_NAMES, LEVELS, as_frame
from lib.data.report import DatasetReport
from lib.figures.charts import class_counts_chart, level_histogram
from lib.preprocess.fundus import UnreadablePhotoError, load_thumbnail, preprocess_photos
from lib.preprocess.sampling import balanced_sample, class_counts, referral_labels, split_indices
from lib.training.config import ConfigError, make_config
from ui import presets

CLASS_NAMES = {0: "no refer", 1: "refer"}
LEARNING_RATES = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
WIDGETS = ("backbone", "weights", "freeze_backbone", "image_size", "n_per_class", "epochs", "batch_size", "learning_rate", "seed")


@st.cache_data(show_spinner=False, max_entries=4096)
def thumbnail(path: str) -> np.ndarray | None:
    """A 200-pixel-high preview of a photo, or None when it cannot be read (the caller skips it)."""
    try:
        return load_thumbnail(path, height=200)
    except (UnreadablePhotoError, OSError):
        return None


def preset_selector() -> None:
    presets.preset_selector("dr", "dr", WIDGETS,
                            help="Course defaults: MobileNetV2 at 224 px, 30 epochs (for a GPU). Quick CPU demo: a small CNN at 128 px.")


def data_section(report: DatasetReport) -> pd.DataFrame:
    """Steps 1-6: histogram, thumbnails, binary labels, balanced sample, split, preprocessing, sanity grid.

    Returns the sampled photos with ``label`` and ``split`` columns.
    """
    st.header("1. The data")
    st.plotly_chart(level_histogram(report.summary["levels"], LEVEL_NAMES))
    st.caption("Levels 2-4 (red) are referred to an ophthalmologist; 0-1 (blue) are not. "
               "In EyePACS 73.5 % of photos are level 0: a model that always says 'no refer' is right most of the time.")
    per_level = st.slider("Photos per level", 1, 8, 4)
    rng = np.random.default_rng(0)
    for level in LEVELS:
        photos = [p for p in report.items if p.level == level]
        chosen = sorted(rng.permutation(len(photos))[:per_level])
        shown = [(thumbnail(str(photos[i].path)), photos[i].image) for i in chosen]
        shown = [(img, cap) for img, cap in shown if img is not None]
        st.markdown(f"**Level {level}: {LEVEL_NAMES[level]}**")
        if shown:
            st.image([img for img, _ in shown], caption=[cap for _, cap in shown], width=220)
        else:
            st.caption("no photo of this level in the dataset")

    st.header("2. Refer or not: balanced sampling")
    frame = as_frame(report.items)
    labels = referral_labels(frame["level"].to_numpy())
    before = class_counts(labels, (0, 1))
    st.number_input("Photos per class (N)", 1, 100000, key="dr_n_per_class",
                    help="The course takes 2,000 of each class; a class with fewer photos gives all it has.")
    n_per_class = int(st.session_state["dr_n_per_class"])
    seed = int(st.session_state["dr_seed"])
    picked = balanced_sample(labels, n_per_class, seed=seed)
    sample = frame.iloc[picked].reset_index(drop=True).assign(label=labels[picked])
    after = class_counts(sample["label"], (0, 1))
    st.plotly_chart(class_counts_chart({CLASS_NAMES[k]: v for k, v in before.items()}, {CLASS_NAMES[k]: v for k, v in after.items()}))
    if min(after.values()) < n_per_class:
        st.info(f"Only {min(after.values())} photos in the smaller class: the sample takes all of them.")
    return sample


@st.cache_resource(show_spinner=False, max_entries=2)
def _preprocessed(paths: tuple[str, ...], size: int, cache_dir: str):
    # Shared by every session and kept in memory (not copied per call), so moving a slider elsewhere on
    # the page does not reload thousands of cached photos from disk each time. The progress bar lives
    # inside: Streamlit replays a cached function's elements, and this one ends empty.
    bar = st.progress(0.0, text=f"Preprocessing {len(paths)} photos to {size}x{size} ...")
    result = preprocess_photos(list(paths), size=size, cache_dir=cache_dir,
                               progress=lambda d, t: bar.progress(d / t, text=f"Preprocessing photos: {d}/{t}")
                               if d % 20 == 0 or d == t else None)
    bar.empty()
    return result


def preprocessing_section(sample: pd.DataFrame) -> pd.DataFrame | None:
    """Preprocess the sample (cached on disk), split it, and show a grid of training photos."""
    size = int(st.session_state["dr_image_size"])
    seed = int(st.session_state["dr_seed"])
    st.header("3. Preprocessing and split")
    result = _preprocessed(tuple(sample["path"]), size, str(paths.cache_dir()))
    st.caption(f"{len(result.kept)} photos resized to {size}x{size} (Lanczos) and min-max scaled to [0, 1]; "
               f"{result.cache_hits} came straight from the cache.")
    for problem in result.problems:
        st.warning(f"Skipped: {problem.message}")
    kept = sample.iloc[result.kept].reset_index(drop=True)
    if np.bincount(kept["label"], minlength=2).min() < 3:
        st.error("Too few photos of one class to split into train / validation / test (at least 3 each).")
        return None
    parts = split_indices(len(kept), seed=seed, stratify=kept["label"].to_numpy())
    split = np.empty(len(kept), dtype=object)
    for name, index in parts.items():
        split[index] = name
    kept = kept.assign(split=split)
    cols = st.columns(3)
    for col, name in zip(cols, ("train", "val", "test")):
        counts = class_counts(kept.loc[kept["split"] == name, "label"], (0, 1))
        col.metric(f"{name} (60/20/20)", f"{sum(counts.values())} photos", f"{counts[1]} refer · {counts[0]} no refer", delta_color="off", delta_arrow="off")
    st.subheader("Sanity check: training photos with their labels")
    shown = np.flatnonzero(kept["split"].to_numpy() == "train")[:12]  # row j of kept is result.images[j]
    grid = kept.iloc[shown]
    st.image(list(result.images[shown]), caption=[f"{CLASS_NAMES[l]} (level {lv})" for l, lv in zip(grid["label"], grid["level"])], width=150)
    return kept


def training_settings(data_path: str) -> dict | None:
    """Step 4: the model and training controls; returns a validated config, or None after showing what is wrong."""
    st.header("4. Model and training")
    left, right = st.columns(2)
    left.radio("Backbone", ["mobilenetv2", "small_cnn"], key="dr_backbone", horizontal=True,
               format_func=lambda b: {"mobilenetv2": "MobileNetV2 (transfer learning)", "small_cnn": "Small CNN (from scratch)"}[b])
    left.selectbox("Pretrained weights", ["imagenet", "none"], key="dr_weights",
                   format_func=lambda w: {"imagenet": "ImageNet (downloaded if possible)", "none": "none: train from scratch"}.get(w, w),
                   disabled=st.session_state["dr_backbone"] != "mobilenetv2")
    weights_file = left.text_input("...or a local weights file (MobileNetV2 without top, .h5)", key="dr_weights_file",
                                   disabled=st.session_state["dr_backbone"] != "mobilenetv2")
    left.checkbox("Freeze the backbone (train the head only)", key="dr_freeze_backbone",
                  disabled=st.session_state["dr_backbone"] != "mobilenetv2")
    right.select_slider("Learning rate", LEARNING_RATES, key="dr_learning_rate", format_func=lambda v: f"{v:g}",
                        help="The course's lesson: 0.1 fails to learn; 1e-4 to 1e-3 works.")
    right.number_input("Epochs", 1, 1000, key="dr_epochs")
    right.selectbox("Batch size", [4, 8, 10, 16, 32, 64], key="dr_batch_size")
    right.selectbox("Image size (pixels)", [96, 128, 160, 192, 224], key="dr_image_size")
    right.number_input("Seed (same seed: same sample, split and initial weights)", 0, 2**31 - 1, key="dr_seed")
    values = {name: st.session_state[f"dr_{name}"] for name in WIDGETS}
    if weights_file.strip() and values["backbone"] == "mobilenetv2":
        values["weights"] = weights_file.strip()
    if values["learning_rate"] >= 0.1:
        st.warning("A learning rate of 0.1 is far too large for Adam: expect the loss to jump around and the model to learn nothing.")
    try:
        return make_config("dr", preset=presets.chosen_preset("dr"), data=data_path, **values)
    except ConfigError as exc:
        st.error(str(exc))
        return None
