"""The lung 3D page's sections."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from lib.data.report import DatasetReport
from lib.figures.display import busiest_index, ct_grey, square_pixels, error_overlay, plane, projection, sparse_overlay, to_grey_uint8
from lib.figures.segmentation import fraction_figure, per_slice_chart
from lib.figures.volume3d import lungs_3d_figure
from lib.metrics.segmentation import dice, iou, per_item_scores
from lib.preprocess.images import from_uint8_unit, minmax
from lib.preprocess.volumes import HU_SCALE, labelled_fraction
from lib.runs.store import Run
from lib.tasks import lung3d as task
from lib.tasks.base import DataError
from lib.access.policy import LimitError
from lib.training.config import ConfigError, make_config
from lib.training.executor import start_fraction_experiment
from ui.session import admit, owner_token
from ui.training import _executor, run_store
from lib.notice import sparse_reading
from ui import presets
from ui.notice import notice, think
from ui.training import cached_predictions

WIDGETS = ("stride", "label_fraction", "filters", "depth", "chunk_depth", "epochs", "steps_per_epoch", "validation_steps",
           "batch_size", "learning_rate", "seed", "normalise", "time_budget_s", "precision", "jit_compile")
PLANES = {"axial": 0, "coronal": 1, "sagittal": 2}
TASK = task.TASK


def preset_selector() -> None:
    presets.preset_selector(TASK.name, "l3", WIDGETS,
                            help="Course defaults: 64 filters, 64-slice chunks, batch 8, 20 x 20 steps (for a GPU). Quick CPU demo: 8 filters, 32-slice chunks.")


@st.cache_resource(show_spinner="Loading the volumes ...", max_entries=4)
def _volume(_pair, volume_id: str, path: str, stride: int, normalise: str):
    return task.load_prepared(_pair, stride, normalise)


def _cached_load(pair, stride: int, normalise: str):
    return _volume(pair, pair.volume_id, str(pair.image_path), int(stride), normalise)


def roles_section(report: DatasetReport) -> task.Prepared | None:
    """Which volume trains, validates, tests; returns the volumes as the job will get them (both call
    ``lib.tasks.lung3d.prepare``), or None after saying what is wrong."""
    st.header("1. CT volumes: some train, one validates, one tests")
    pairs = {p.volume_id: p for p in report.items}
    ids = list(pairs)
    try:
        defaults = task.default_roles({v: int(p.shape[0]) if p.shape else 0 for v, p in pairs.items()})
    except DataError as exc:
        st.error(str(exc))
        return None
    st.caption("Kaggle's roles where its four volumes are there; otherwise the largest volumes train, the next "
               "validates and the smallest tests. Change them here.")
    cols = st.columns(3)
    train = cols[0].multiselect("Training volumes", ids, default=defaults["train"], key="l3_train")
    rest = [i for i in ids if i not in train]
    if not train or len(rest) < 2:
        st.error("Choose at least one training volume and leave two for validation and test.")
        return None
    val = cols[1].selectbox("Validation volume", rest, index=rest.index(defaults["val"][0]) if defaults["val"][0] in rest else 0,
                            key="l3_val")
    test_options = [i for i in rest if i != val]
    test = cols[2].selectbox("Test volume", test_options, key="l3_test",
                             index=test_options.index(defaults["test"][0]) if defaults["test"][0] in test_options else len(test_options) - 1)
    stride = st.select_slider("In-plane downsampling (512 -> 64 at 8)", [1, 2, 4, 8, 16], key="l3_stride")
    st.radio("Intensity scaling", ["hu_scale", "lung_window"], key="l3_normalise", horizontal=True,
             format_func=lambda n: {"hu_scale": "HU / 3071 (the course's)", "lung_window": "a fixed lung window in HU"}[n],
             help="Dividing by 3071 keeps every value but leaves lungs and soft tissue close together; a window spends "
                  "the whole 0-1 range on the values that tell lung from the rest.")
    settings = {name: st.session_state[f"l3_{name}"] for name in ("label_fraction", "depth", "seed", "normalise")}
    config = {"data": str(report.path), "train_volumes": ",".join(train), "val_volume": val, "test_volume": test,
              "stride": int(stride), **settings}
    try:
        data = task.prepare(config, report=report, load=_cached_load)
    except DataError as exc:
        st.error(str(exc))
        return None
    st.caption(" · ".join(f"IMG_{v}: {image.shape[:3]}" for v, (image, _) in data.volumes.items()) +
               f" (slices, rows, columns) after keeping every {stride}th row and column; values are "
               + (f"HU / {HU_SCALE:.0f}." if settings["normalise"] == "hu_scale" else "a lung window in HU mapped to [0, 1]."))
    return data


def _slices_in_planes(volume: np.ndarray, labels: np.ndarray, mask: np.ndarray, caption: str,
                      spacing: tuple = (1.0, 1.0, 1.0)) -> None:
    """The three planes through the busiest slices, each in the patient's proportions (``spacing``: voxel size)."""
    cols = st.columns(3)
    for col, (name, axis) in zip(cols, PLANES.items()):
        index = busiest_index(mask, axis)
        grey = ct_grey(plane(volume, axis, index), st.session_state["l3_normalise"])
        shown = [spacing[k] for k in range(3) if k != axis]
        col.image(square_pixels(sparse_overlay(grey, plane(labels, axis, index)), (shown[0], shown[1])),
                  caption=f"{caption}: {name} slice {index}", width="stretch")


def sparse_section(data: task.Prepared) -> None:
    st.header("2. Sparse labels: only some slices along each axis are annotated")
    fraction = st.slider("Fraction of slices labelled along each axis", 0.01, 1.0, key="l3_label_fraction", step=0.01)
    first = data.roles["train"][0]
    image, mask = data.volumes[first]
    labels = data.train_labels[0]  # what the job trains the first volume with
    _slices_in_planes(image, labels, mask, f"IMG_{first}", data.spacing.get(first, (1.0, 1.0, 1.0)))
    st.markdown(f"Green: labelled lung · amber tint: labelled background · untinted: **no label** (ignored by the loss, weight 0). "
                f"With {fraction:.0%} of the slices per axis, **{labelled_fraction(labels):.1%} of the voxels** carry a label.")


def training_settings(data_path: str, data: task.Prepared) -> dict | None:
    st.header("3. 3D U-Net and training")
    left, right = st.columns(2)
    left.select_slider("Filters in the first level", [2, 4, 8, 16, 32, 64], key="l3_filters")
    left.select_slider("Depth (pooling steps)", [1, 2, 3], key="l3_depth")
    left.select_slider("Chunk depth (slices per training sample)", [8, 16, 32, 64], key="l3_chunk_depth")
    left.number_input("Batch size (chunks)", 1, 64, key="l3_batch_size")
    right.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], key="l3_learning_rate", format_func=lambda v: f"{v:g}")
    right.number_input("Epochs", 1, 500, key="l3_epochs")
    right.number_input("Steps per epoch", 1, 1000, key="l3_steps_per_epoch")
    right.number_input("Validation steps", 1, 1000, key="l3_validation_steps")
    right.number_input("Seed", 0, 2**31 - 1, key="l3_seed")
    presets.length_controls("l3", right, steps=False)
    presets.speed_controls("l3")
    values = {name: st.session_state[f"l3_{name}"] for name in WIDGETS}
    try:
        return make_config(TASK.name, preset=presets.chosen_preset("l3"), data=data_path,
                           train_volumes=",".join(data.roles["train"]), val_volume=data.roles["val"][0],
                           test_volume=data.roles["test"][0], **values)
    except ConfigError as exc:
        st.error(str(exc))
        return None


def _request_sweep() -> None:
    st.session_state["_l3_sweep_requested"] = True


def experiment_section(config: dict | None) -> None:
    st.header("4. The experiment: IoU against the fraction of labelled slices")
    think("sparse_labels")
    fractions = st.multiselect("Fractions to train", [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0], default=[0.05, 0.1, 0.3, 1.0],
                               key="l3_fractions")
    owner = owner_token()
    # the click is kept by a callback, as Start's is (a plain button's True can be lost to a rerun)
    st.button("Train one run per fraction (queued)", disabled=config is None or not fractions, key="l3_sweep",
              on_click=_request_sweep)
    if st.session_state.pop("_l3_sweep_requested", False) and config is not None and fractions:
        name = time.strftime("experiment %H:%M:%S")
        try:
            start_fraction_experiment(run_store(), {**config, "watch": True}, fractions, owner=owner,
                                      executor=_executor(), name=name, admit=admit)
        except (LimitError, ConfigError, OSError) as exc:
            st.error(f"Could not queue the experiment: {exc}")
            return
        st.session_state["l3_flash"] = (f"{len(fractions)} runs queued as '{name}'; they train one after another "
                                        "(or side by side on a GPU server). The panel above follows them.")
        st.rerun()  # so the training panel follows the queued runs at once
    if "l3_flash" in st.session_state:
        st.success(st.session_state.pop("l3_flash"))
    runs, _ = run_store().list(task=TASK.name, viewer=owner)
    rows, waiting = [], []
    for summary in runs:
        experiment = summary.config.get("experiment")
        if not experiment:
            continue
        pooled = TASK.metric(summary.metrics, "pooled_iou")
        if summary.state in ("done", "stopped") and isinstance(pooled, (int, float)):
            rows.append({"experiment": experiment, "fraction": summary.config["label_fraction"], "iou": pooled})
        elif summary.state in ("queued", "running"):
            waiting.append(f"{summary.label}: {summary.state}")
    if waiting:
        st.caption("In progress: " + "; ".join(waiting))
    if rows:
        st.plotly_chart(fraction_figure(rows))
    else:
        st.caption("No finished experiment run yet.")


def evaluation_section(run: Run) -> None:
    p = cached_predictions(run)
    image, truth, probs = p["image"].astype(np.float32), p["mask"], from_uint8_unit(p["probs"])
    st.header(f"5. The test volume IMG_{p['volume_id']}: how close to the truth?")
    threshold = st.slider("Threshold", 0.05, 0.95, 0.5, 0.05, key="l3_threshold")
    predicted = probs >= threshold
    cols = st.columns(4)
    cols[0].metric("Test IoU", f"{iou(probs, truth, threshold=threshold):.3f}")
    cols[1].metric("Test Dice", f"{dice(probs, truth, threshold=threshold):.3f}")
    cols[2].metric("Labelled slices per axis", f"{run.config.get('label_fraction', float('nan')):.0%}")
    cols[3].metric("Voxel accuracy (0.5)", f"{run.metrics.get('accuracy', float('nan')):.1%}")
    st.plotly_chart(per_slice_chart(per_item_scores(probs, truth, threshold=threshold)["iou"]))
    st.caption("IoU of each axial slice: low values show where the model fails (often the lung tips at the top and bottom).")
    notice(sparse_reading(run.config.get("label_fraction", float("nan")), run.metrics.get("labelled_voxel_fraction", float("nan")),
                          iou(probs, truth, threshold=threshold)))

    st.header("6. Views")
    st.subheader("Projections: input, prediction, ground truth")
    for name, axis in (("coronal", 1), ("axial", 0)):
        cols = st.columns(3)
        mean = projection(image, axis)
        cols[0].image(to_grey_uint8(minmax(mean)), caption=f"input, mean {name} projection", width="stretch")
        cols[1].image(to_grey_uint8(projection(predicted, axis, kind="max")), caption=f"prediction, {name}", width="stretch")
        cols[2].image(to_grey_uint8(projection(truth, axis, kind="max")), caption=f"ground truth, {name}", width="stretch")
    st.subheader("Slices in three planes: green found, orange false alarm, magenta missed")
    cols = st.columns(3)
    for col, (name, axis) in zip(cols, PLANES.items()):
        index = col.slider(f"{name} slice", 0, image.shape[axis] - 1, busiest_index(truth, axis), key=f"l3_view_{name}")
        grey = ct_grey(plane(image, axis, index), run.config.get("normalise", "hu_scale"))
        col.image(error_overlay(grey, plane(truth, axis, index), plane(predicted, axis, index)), caption=f"{name} {index}",
                  width="stretch")
    st.subheader("In 3D: prediction (red) inside the true lungs (blue)")
    stride = int(run.config.get("stride", 8))
    st.plotly_chart(lungs_3d_figure(predicted, truth, spacing=(1.0, stride * 0.7, stride * 0.7)), key="l3_mesh")
