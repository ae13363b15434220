"""The DR page's evaluation: test metrics, the ROC with the draggable operating point, the photos behind it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import streamlit as st

from lib import paths
from lib.metrics.roc import has_both_classes, outcome_indices
from lib.models.gradcam import heat_overlay, read_heat_map
from lib.jobs.folder.store import Run
from ui.dr import thumbnail
from ui.notice import notice, think
from ui.operating_point import Subject, auc_section, operating_point_section, precision_recall
from ui.training import cached_predictions, settings_tried
from ui.charts import picture

EYEPACS_REFERABLE = 0.20  # about 20 % of EyePACS training photos are level 2 or worse


def evaluation_section(run: Run) -> None:
    try:
        predictions = cached_predictions(run)
    except ValueError as exc:
        st.error(str(exc))
        return
    scores, labels = predictions["scores"].astype(float), predictions["labels"].astype(int)
    st.header("5. How good is it on the test set?")
    think("learning_rate", tried={"learning_rate": settings_tried(run.summary.task, "learning_rate")})
    cols = st.columns(4)
    cols[0].metric("Test accuracy (threshold 0.5)", f"{run.metrics.get('accuracy', float('nan')):.1%}")
    cols[1].metric("Test loss", f"{run.metrics.get('loss', float('nan')):.3f}")
    cols[2].metric("AUC", f"{run.metrics.get('auc', float('nan')):.3f}")
    cols[3].metric("Test photos", f"{len(labels)} ({labels.sum()} refer)")
    if not has_both_classes(labels):
        st.warning("The test set holds only one class: there is no ROC curve to draw.")
        return
    subject = Subject(key="dr", source_id=run.summary.run_id, default_prevalence=EYEPACS_REFERABLE,
                      task=run.summary.task, run_id=run.summary.run_id, link=True)
    auc_section(subject, scores, labels, image=lambda i: thumbnail(str(predictions["paths"][i])),
                describe=lambda i: f"{predictions['images'][i]}, level {predictions['levels'][i]}")
    think("auc")

    st.header("6. Choose the operating point")
    chosen = operating_point_section(subject, scores, labels)
    think("screening")
    precision_recall(subject, chosen, labels)

    st.header("7. The photos behind the numbers")
    _galleries(predictions, scores, labels, chosen.threshold)
    _where_it_looks(run, predictions, scores, labels, chosen.threshold)


def _gallery(title: str, predictions: dict, index, scores, limit: int = 12) -> None:
    st.subheader(f"{title} ({len(index)})")
    if len(index) == 0:
        st.caption("none at this threshold")
        return
    index = index[:limit]
    images = [thumbnail(str(predictions["paths"][i])) for i in index]
    shown = [(img, f"{predictions['images'][i]} · level {predictions['levels'][i]} · score {scores[i]:.2f}")
             for img, i in zip(images, index) if img is not None]
    # the alt text says what the photo is and how it scored, as the caption does (kept in presentation mode)
    picture(st, [img for img, _ in shown], alt=[f"Fundus photo {cap}" for _, cap in shown],
            caption=[cap for _, cap in shown], width=200)


@st.cache_data(show_spinner="Computing where the model looks (Grad-CAM, in a child process) ...", max_entries=32)
def _gradcam(run_dir: str, photo: str, model_mtime: float) -> dict:
    """Grad-CAM of one photo under the run's model, computed by ``python -m lib gradcam`` in a child process (no deep
    learning framework enters the server); {"error": ...} when it failed."""
    key = hashlib.sha1(f"{photo}|{model_mtime}".encode()).hexdigest()[:16]
    target = paths.cache_dir() / "gradcam" / f"{Path(run_dir).name}-{key}.npz"
    if not target.is_file():
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            done = subprocess.run([sys.executable, "-m", "lib", "gradcam", run_dir, photo, "--out", str(target)],
                                  capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        except (subprocess.TimeoutExpired, OSError) as exc:
            return {"error": f"the heat map could not be computed ({type(exc).__name__}: {exc})"}
        if done.returncode != 0 or not target.is_file():
            lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
            return {"error": lines[-1].removeprefix("error: ") if lines else f"the heat map could not be computed "
                    f"(exit status {done.returncode})"}
    return read_heat_map(target)


def _show_gradcam(run_id: str) -> None:
    st.session_state["dr_gradcam_run"] = run_id


def _where_it_looks(run: Run, predictions: dict, scores, labels, threshold: float) -> None:
    """Grad-CAM for one photo of the error galleries: does the model look at lesions or at the optic disc?"""
    st.subheader("Where does the model look?")
    outcomes = outcome_indices(scores, labels, threshold)
    wrong = outcomes["misclassified"]
    if len(wrong) == 0 or not run.model_path().is_file():
        st.caption("No misclassified photo at this threshold." if len(wrong) == 0 else "This run has no saved model.")
        return
    false_positive = set(outcomes["false_positive"].tolist())
    names = {int(i): f"{predictions['images'][i]} · {'false positive' if i in false_positive else 'false negative'} · "
                     f"score {scores[i]:.2f}" for i in wrong}
    index = st.selectbox("A misclassified photo", list(names), format_func=names.get, key="dr_gradcam_photo")
    st.button("Show where the model looks (Grad-CAM)", key="dr_gradcam", on_click=_show_gradcam, args=(run.summary.run_id,))
    if st.session_state.get("dr_gradcam_run") != run.summary.run_id:  # stays on for this run, whichever photo is chosen
        st.caption("Grad-CAM weighs the last feature map by how much each channel raises the referral score: red is "
                   "where the evidence for *refer* sits.")
        return
    # the heat map of the photo chosen before must not stay on screen while the new one is computed
    shown = st.empty()
    shown.info(f"Computing where the model looks on {predictions['images'][index]} ...", icon=":material/hourglass_top:")
    result = _gradcam(str(run.path), str(predictions["paths"][index]), run.model_path().stat().st_mtime)
    with shown.container():
        if "error" in result:
            st.error(f"Could not compute the heat map: {result['error']}")
            return
        left, right = st.columns(2)
        photo = predictions["images"][index]
        picture(left, result["photo"], alt=f"Fundus photo {photo} as the model saw it", caption="the photo as the model saw it",
                width="stretch")
        picture(right, heat_overlay(result["photo"], result["cam"]),
                alt=f"Grad-CAM heat map of {photo} over the photo (score {result['score']:.2f}): red where the evidence "
                    "for refer sits", caption=f"Grad-CAM (score {result['score']:.2f}): red = evidence for refer",
                width="stretch")
        if result["empty"]:
            st.info("The heat map is empty: nothing in this photo raises the referral score (the model sees no evidence "
                    "for refer anywhere). For a missed referable photo, that is the finding: its lesions did not register.")
    notice("Is the red on lesions (spots, haemorrhages, exudates) or on the optic disc, the vessels or the border? "
           "A model that looks at the wrong thing can still score well on one dataset, and fail on the next.")


def _galleries(predictions: dict, scores, labels, threshold: float) -> None:
    outcomes = outcome_indices(scores, labels, threshold)
    _gallery("False positives: referred, but no referable DR (most confident first)", predictions,
             outcomes["false_positive"], scores)
    _gallery("False negatives: missed referable DR (most confident first)", predictions, outcomes["false_negative"], scores)
    if st.toggle("Show the correct ones too"):
        _gallery("True positives", predictions, outcomes["true_positive"], scores)
        _gallery("True negatives", predictions, outcomes["true_negative"], scores)
