"""The lung 3D page's sections."""

from __future__ import annotations

import streamlit as st

from lib.contract import DataError
from lib.data.check import DatasetCheck
from lib.figures.display import (busiest_index, ct_grey, error_overlay, plane, projection, sparse_overlay, square_pixels,
                                 to_grey_uint8)
from lib.figures.segmentation import per_slice_chart
from lib.figures.volume3d import DEFAULT_TILT_DEG, DEFAULT_TURN_DEG, camera, lungs_3d_figure
from lib.metrics.segmentation import overlap_metrics, per_item_scores
from lib.notice import sparse_reading
from lib.preprocess.images import from_uint8_unit, minmax
from lib.preprocess.volumes import HU_SCALE, labelled_fraction
from lib.jobs.folder.store import Run
from lib.tasks import lung3d as task
from lib.training.config import ConfigError, make_config
from ui import controls, presets
from ui import experiment as experiment_ui
from ui.charts import chart, error_counts, error_legend, outline_toggle, picture
from ui.notice import notice
from ui.training import cached_predictions

PREFIX = "l3"
PLANES = {"axial": 0, "coronal": 1, "sagittal": 2}
TASK = task.TASK


def preset_selector() -> None:
    presets.preset_selector(TASK.name, PREFIX,
                            help="Course defaults: 64 filters, 64-slice chunks, batch 8, 20 x 20 steps (for a GPU). Quick CPU demo: 8 filters, 32-slice chunks.")


@st.cache_resource(show_spinner="Loading the volumes ...", max_entries=4)
def _volume(_pair, volume_id: str, path: str, stride: int, normalise: str):
    return task.load_prepared(_pair, stride, normalise)


def _cached_load(pair, stride: int, normalise: str):
    return _volume(pair, pair.volume_id, str(pair.image_path), int(stride), normalise)


def roles_section(report: DatasetCheck) -> task.Prepared | None:
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
        data = task.prepare(config, check=report, load=_cached_load)
    except DataError as exc:
        st.error(str(exc))
        return None
    st.caption(" · ".join(f"IMG_{v}: {image.shape[:3]}" for v, (image, _) in data.volumes.items()) +
               f" (slices, rows, columns) after keeping every {stride}th row and column; values are "
               + (f"HU / {HU_SCALE:.0f}." if settings["normalise"] == "hu_scale" else "a lung window in HU mapped to [0, 1]."))
    return data


def _slices_in_planes(volume, labels, mask, caption: str, spacing: tuple = (1.0, 1.0, 1.0)) -> None:
    """The three planes through the busiest slices, each in the patient's proportions (``spacing``: voxel size)."""
    cols = st.columns(3)
    for col, (name, axis) in zip(cols, PLANES.items()):
        index = busiest_index(mask, axis)
        grey = ct_grey(plane(volume, axis, index), st.session_state["l3_normalise"])
        shown = [spacing[k] for k in range(3) if k != axis]
        picture(col, square_pixels(sparse_overlay(grey, plane(labels, axis, index)), (shown[0], shown[1])),
                caption=f"{caption}: {name} slice {index}", width="stretch",
                alt=f"{caption}, {name} slice {index}: labelled lung tinted sky blue, labelled background tinted "
                    "orange, slices without a label left grey")


def sparse_section(data: task.Prepared) -> None:
    st.header("2. Sparse labels: only some slices along each axis are annotated")
    fraction = st.slider("Fraction of slices labelled along each axis", 0.01, 1.0, key="l3_label_fraction", step=0.01)
    first = data.roles["train"][0]
    image, mask = data.volumes[first]
    labels = data.train_labels[0]  # what the job trains the first volume with
    _slices_in_planes(image, labels, mask, f"IMG_{first}", data.spacing.get(first, (1.0, 1.0, 1.0)))
    st.markdown(f"Sky blue: labelled lung · orange tint: labelled background · untinted: **no label** (ignored by the loss, weight 0). "
                f"With {fraction:.0%} of the slices per axis, **{labelled_fraction(labels):.1%} of the voxels** carry a label.")


def training_settings(data_path: str, data: task.Prepared) -> dict | None:
    st.header("3. 3D U-Net and training")
    left, right = st.columns(2)
    controls.draw(TASK, PREFIX, ("filters", "depth", "chunk_depth", "batch_size"), left)
    controls.draw(TASK, PREFIX, ("learning_rate", "epochs", "steps_per_epoch", "validation_steps", "seed"), right)
    presets.length_controls(TASK.name, PREFIX, right, steps=False)
    presets.speed_controls(TASK.name, PREFIX)
    values = controls.values(TASK, PREFIX, skip=("data", "train_volumes", "val_volume", "test_volume"))
    try:
        return make_config(TASK, preset=presets.chosen_preset(PREFIX, TASK.name), data=data_path,
                           train_volumes=",".join(data.roles["train"]), val_volume=data.roles["val"][0],
                           test_volume=data.roles["test"][0], **values)
    except ConfigError as exc:
        st.error(str(exc))
        return None


def experiment_section(config: dict | None) -> None:
    experiment_ui.experiment_section(TASK, TASK.experiment("label_fraction"), PREFIX, config, number="4. ")


def evaluation_section(run: Run) -> None:
    p = cached_predictions(run)
    image, truth, probs = p["image"].astype("float32"), p["mask"], from_uint8_unit(p["probs"])
    st.header(f"5. The test volume IMG_{p['volume_id']}: how close to the truth?")
    threshold = st.slider("Threshold", 0.05, 0.95, 0.5, 0.05, key="l3_threshold")
    predicted = probs >= threshold
    summary = overlap_metrics(probs, truth, threshold=threshold)
    cols = st.columns(4)
    cols[0].metric("Pooled IoU (the whole volume)", f"{summary['pooled_iou']:.3f}")
    cols[1].metric("Mean slice IoU", f"{summary['mean_slice_iou']:.3f}")
    cols[2].metric("Labelled slices per axis", f"{run.config.get('label_fraction', float('nan')):.0%}")
    cols[3].metric("Voxel accuracy (0.5)", f"{run.metrics.get('accuracy', float('nan')):.1%}")
    chart(per_slice_chart(per_item_scores(probs, truth, threshold=threshold)["iou"]), name="IoU of each axial slice",
          summary=f"The IoU of each axial slice of the test volume at threshold {threshold:.2f}, from the first slice to "
                  f"the last; their mean is {summary['mean_slice_iou']:.3f}.")
    st.caption(f"**Pooled IoU**: one IoU over every voxel of the volume (Dice {summary['pooled_dice']:.3f}). **Mean slice "
               "IoU**: the IoU of each axial slice (the chart), then their mean; a slice without lung in the truth and "
               "the prediction counts as 1.0. Low slices show where the model fails (often the lung tips).")
    notice(sparse_reading(run.config.get("label_fraction", float("nan")), run.metrics.get("labelled_voxel_fraction", float("nan")),
                          summary["pooled_iou"]))

    st.header("6. Views")
    st.subheader("Projections: input, prediction, ground truth")
    for name, axis in (("coronal", 1), ("axial", 0)):
        cols = st.columns(3)
        mean = projection(image, axis)
        picture(cols[0], to_grey_uint8(minmax(mean)), caption=f"input, mean {name} projection", width="stretch",
                alt=f"The test CT volume averaged along the {name} direction")
        picture(cols[1], to_grey_uint8(projection(predicted, axis, kind="max")), caption=f"prediction, {name}",
                width="stretch", alt=f"Every voxel predicted lung, seen along the {name} direction, in white")
        picture(cols[2], to_grey_uint8(projection(truth, axis, kind="max")), caption=f"ground truth, {name}",
                width="stretch", alt=f"Every true lung voxel, seen along the {name} direction, in white")
    st.subheader("Slices in three planes: sky blue found, yellow false alarm, dark red missed")
    outline = outline_toggle("l3_outline")
    cols = st.columns(3)
    for col, (name, axis) in zip(cols, PLANES.items()):
        index = col.slider(f"{name} slice", 0, image.shape[axis] - 1, busiest_index(truth, axis), key=f"l3_view_{name}")
        grey = ct_grey(plane(image, axis, index), run.config.get("normalise", "hu_scale"))
        true_plane, predicted_plane = plane(truth, axis, index), plane(predicted, axis, index)
        picture(col, error_overlay(grey, true_plane, predicted_plane, outline=outline), caption=f"{name} {index}",
                width="stretch", alt=f"Errors on {name} slice {index}: {error_counts(true_plane, predicted_plane)}")
    error_legend(outline=outline)
    st.subheader("In 3D: missed lung (dark red) and false lung (yellow); where both agree, sky blue")
    # the view can be turned by keyboard too (WCAG 2.1.1): two sliders set where the camera starts
    turn_col, tilt_col = st.columns(2)
    turn = turn_col.slider("Turn the 3D view (degrees around the slice axis)", 0, 345, DEFAULT_TURN_DEG, step=15,
                           key="l3_turn")
    tilt = tilt_col.slider("Tilt the 3D view (degrees above the x-y plane)", -90, 90, DEFAULT_TILT_DEG, step=5,
                           key="l3_tilt")
    figure = lungs_3d_figure(predicted, truth, spacing=task.test_spacing(run.config, p), view=camera(turn, tilt))
    chart(figure, key="l3_mesh", name="The errors in 3D",
          summary=f"A 3D view of the test volume, turned {turn} degrees and tilted {tilt} degrees (the two sliders "
                  "above turn it from the keyboard; a mouse or a finger turns it too): "
                  + "; ".join(trace.name.replace("<br>", " ") for trace in figure.data) + ".",
          data=[dict(zip(("surface", "voxels"), trace.name.split(":<br>"))) for trace in figure.data])
