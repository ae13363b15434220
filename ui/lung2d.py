"""The lung 2D page's sections."""

from __future__ import annotations

import streamlit as st

from lib.contract import DataError
from lib.data.ct_slices import BadFileError, load_lung2d_pair
from lib.data.check import DatasetCheck
from lib.figures.display import augmentation_pairs, enlarge, error_overlay, overlay, to_grey_uint8, window
from lib.figures.segmentation import score_histogram
from lib.figures.training import schedule_figure
from lib.metrics.segmentation import IOU_RANGES, examples_in_ranges, overlap_metrics, per_item_scores, worst_item
from lib.notice import iou_reading
from lib.preprocess.augment import AugmentRanges, preview
from lib.preprocess.images import NORMALISATIONS, ct_window, from_uint8_unit, minmax
from lib.jobs.folder.store import Run
from lib.tasks import lung2d as task
from lib.training.config import ConfigError, make_config
from lib.training.schedule import schedule_values
from ui import controls, presets
from ui.charts import chart, error_counts, error_legend, outline_toggle, picture
from ui.notice import notice, think
from ui.training import cached_predictions

TASK = task.TASK
PREFIX = "l2"


def preset_selector() -> None:
    presets.preset_selector(TASK.name, PREFIX,
                            help="Course defaults: 64 filters, batch 16, 40 epochs (for a GPU). Quick CPU demo: 16 filters, 30 epochs.")


@st.cache_resource(show_spinner="Loading and resizing the slices ...", max_entries=4)
def _prepared(data: str, image_size: int, seed: int, normalise: str, stamp: tuple, _report: DatasetCheck) -> task.Prepared:
    return task.prepare({"data": data, "image_size": image_size, "seed": seed, "normalise": normalise}, check=_report)


def prepared(report: DatasetCheck) -> task.Prepared | None:
    """The loaded slices and their split, exactly as the job will get them (both call ``lib.tasks.lung2d.prepare``)."""
    try:
        return _prepared(str(report.path), int(st.session_state["l2_image_size"]), int(st.session_state["l2_seed"]),
                         st.session_state["l2_normalise"], (report.n_items, len(report.problems)), report)
    except DataError as exc:
        st.error(str(exc))
        return None


def data_section(report: DatasetCheck) -> None:
    st.header("1. CT slices and their lung masks")
    names = [pair.name for pair in report.items]
    index = st.slider("Slice", 0, len(names) - 1, 0, key="l2_browse")
    try:
        image, mask = load_lung2d_pair(report.items[index])
    except BadFileError as exc:
        st.error(str(exc))
        return
    grey = window(image)
    cols = st.columns(3)
    name = names[index]
    picture(cols[0], grey, caption=f"{name} (lung window)", width="stretch",
          alt=f"CT slice {name} in a lung window: lungs dark grey, soft tissue light")
    picture(cols[1], mask * 255, caption="mask (white = lung)", width="stretch",
          alt=f"Lung mask of slice {name}: lung white, everything else black")
    picture(cols[2], overlay(grey, mask), caption="mask over the slice", width="stretch",
          alt=f"Slice {name} with its lung mask tinted blue over it")
    st.radio("Intensity scaling for the network", list(NORMALISATIONS), key="l2_normalise", horizontal=True,
             format_func=lambda n: {"lung_window": "a fixed lung window in HU", "minmax": "each slice's own min-max (the course's)"}[n])
    left, right = st.columns(2)
    picture(left, to_grey_uint8(minmax(image)), caption="min-max of this slice", width="stretch",
          alt=f"Slice {name} scaled by its own minimum and maximum: lungs, fat and muscle a few grey levels apart")
    picture(right, to_grey_uint8(ct_window(image)), caption="lung window (-1250 to 250 HU)", width="stretch",
          alt=f"Slice {name} in a fixed lung window from -1250 to 250 HU: lungs clearly darker than the tissue around")
    st.caption("Scanners store -2048 or -3024 outside their circular field of view. A per-slice min-max stretches "
               "its scale down to that padding, so lungs, fat and muscle end up a few grey levels apart; a fixed window "
               "in Hounsfield units maps them the same way on every slice and every scanner.")
    data = prepared(report)
    if data is None:
        return
    sizes = {k: len(v) for k, v in data.parts.items()}
    skipped = len(report.items) - len(data.arrays.names)
    st.markdown(f"**Split** (random, seed {st.session_state['l2_seed']}): {sizes['train']} training, "
                f"{sizes['val']} validation, {sizes['test']} test slices"
                + (f" ({skipped} slice(s) could not be loaded and are left out)." if skipped else "."))


def augmentation_section(report: DatasetCheck) -> None:
    st.header("2. Augmentation: the same random shift, rotation and zoom for image and mask")
    cols = st.columns(3)
    cols[0].slider(TASK.fields["shift"].label, 0.0, 0.3, key="l2_shift", step=0.01)
    cols[1].slider(TASK.fields["rotation"].label, 0.0, 45.0, key="l2_rotation", step=1.0)
    cols[2].slider(TASK.fields["zoom"].label, 0.0, 0.3, key="l2_zoom", step=0.01)
    data = prepared(report)
    if data is None:
        return
    arrays = data.arrays
    count = min(4, len(arrays.names))
    ranges = AugmentRanges(shift=st.session_state["l2_shift"], rotation=st.session_state["l2_rotation"],
                           zoom=st.session_state["l2_zoom"])
    seed = st.number_input("Preview seed (new random draws)", 0, 10_000, 0, key="l2_preview_seed")
    images, masks = preview(arrays.images[:count], arrays.masks[:count], ranges, seed=int(seed))
    pairs = augmentation_pairs(arrays.images[:count], arrays.masks[:count], images, masks)
    columns = st.columns(2)
    for i, pair in enumerate(pairs):  # original i beside augmented i, two pairs per row
        picture(columns[i % 2], pair, caption=f"{arrays.names[i]}: original (left) and augmented (right)", width="stretch",
              alt=f"Slice {arrays.names[i]} with its mask in blue, left as stored, right shifted, rotated and zoomed "
                  "at random, the mask moved with the lungs")
    st.caption("The mask (blue) moves with the lungs: both are transformed by the same matrix; the mask with "
               "nearest-neighbour sampling, so it stays 0 / 1. Training runs this very code on every batch.")


def training_settings(data_path: str) -> dict | None:
    st.header("3. U-Net and training")
    left, right = st.columns(2)
    controls.draw(TASK, PREFIX, ("filters", "depth", "dropout", "image_size"), left)
    controls.draw(TASK, PREFIX, ("learning_rate", "epochs", "batch_size", "decay_start", "decay_factor", "seed"), right)
    presets.length_controls(TASK.name, PREFIX, right)
    presets.speed_controls(TASK.name, PREFIX)
    values = controls.values(TASK, PREFIX)
    chart(schedule_figure(schedule_values(int(values["epochs"]), base=values["learning_rate"],
                                          decay_start=int(values["decay_start"]), factor=values["decay_factor"])),
          name="Learning-rate schedule",
          summary=f"The learning rate starts at {values['learning_rate']:g} and is multiplied by "
                  f"{values['decay_factor']:g} each epoch from epoch {int(values['decay_start'])} on, over "
                  f"{int(values['epochs'])} epochs (log scale).")
    try:
        return make_config(TASK, preset=presets.chosen_preset(PREFIX, TASK.name), data=data_path, **values)
    except ConfigError as exc:
        st.error(str(exc))
        return None


def evaluation_section(run: Run) -> None:
    predictions = cached_predictions(run)
    probs = from_uint8_unit(predictions["probs"])
    masks, images, names = predictions["masks"], predictions["images"], predictions["names"]
    st.header("4. How well does it segment the test slices?")
    threshold = st.slider("Threshold on the predicted probability", 0.05, 0.95, 0.5, 0.05, key="l2_threshold")
    scores = per_item_scores(probs, masks, threshold=threshold)
    summary = overlap_metrics(probs, masks, threshold=threshold)
    cols = st.columns(4)
    cols[0].metric("Test pixel accuracy (0.5)", f"{run.metrics.get('accuracy', float('nan')):.1%}")
    cols[1].metric("Mean slice IoU", f"{summary['mean_slice_iou']:.3f}")
    cols[2].metric("Mean slice Dice", f"{summary['mean_slice_dice']:.3f}")
    cols[3].metric("Pooled IoU", f"{summary['pooled_iou']:.3f}")
    chart(score_histogram(scores["iou"]), name="IoU of each test slice",
          summary=f"A histogram of the {len(names)} test slices' IoU at threshold {threshold:.2f}: mean slice IoU "
                  f"{summary['mean_slice_iou']:.3f}, pooled IoU {summary['pooled_iou']:.3f}.")
    st.caption(f"IoU = overlap / union of predicted and true lung, on {len(names)} test slices. **Mean slice IoU**: each "
               "slice's IoU, then their mean (a slice where both masks are empty counts as 1.0). **Pooled IoU**: one "
               "IoU over every test pixel at once, so large lungs weigh more.")
    notice(iou_reading(scores["iou"], [str(n) for n in names]))
    think("iou")

    st.header("5. Where is it right, where is it wrong?")
    picks = examples_in_ranges(scores["iou"], IOU_RANGES)
    worst = worst_item(scores["iou"])
    options = {f"worst slice (IoU {scores['iou'][worst]:.3f})": worst}
    for (low, high), index in picks.items():
        label = f"IoU in [{low:.2f}, {high:.2f}{']' if high == 1.0 else ')'}"
        if index is None:
            st.caption(f"No test slice has an {label}.")
        else:
            options[f"{label}: {names[index]}"] = index
    choice = st.radio("Example", list(options), horizontal=True, key="l2_example")
    index = options[choice]
    grey = to_grey_uint8(from_uint8_unit(images[index]))
    predicted = probs[index] >= threshold
    outline = outline_toggle("l2_outline")
    name, iou = names[index], scores["iou"][index]
    # two per row, enlarged pixel by pixel: one-pixel error fringes stay visible on a projector
    top, bottom = st.columns(2), st.columns(2)
    picture(top[0], enlarge(grey), caption=f"{name}", width="stretch", alt=f"Test CT slice {name}")
    picture(top[1], enlarge(error_overlay(grey, masks[index], predicted, outline=outline)),
          caption=f"errors (IoU {iou:.3f})", width="stretch",
          alt=f"Errors on slice {name}, IoU {iou:.3f}: {error_counts(masks[index], predicted)}")
    picture(bottom[0], enlarge(overlay(grey, masks[index])), caption="ground truth", width="stretch",
          alt=f"Slice {name} with the true lung tinted blue")
    picture(bottom[1], enlarge(overlay(grey, predicted)), caption="prediction", width="stretch",
          alt=f"Slice {name} with the predicted lung tinted blue, at threshold {threshold:.2f}")
    error_legend(outline=outline)
