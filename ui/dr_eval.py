"""The DR page's evaluation: test metrics, the ROC with the draggable operating point, the photos behind it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import streamlit as st

from lib import paths
from lib.metrics.roc import (
    THRESHOLD_DECIMALS, curve_payload, draw_pairs, has_both_classes, operating_point, outcome_indices, point_on_curve, roc,
    threshold_for_sensitivity, threshold_for_specificity, youden_index,
)
from lib.models.gradcam import heat_overlay, read_heat_map
from lib.figures.charts import pairs_figure, precision_recall_figure
from lib.metrics.cost import expected_cost, iso_cost_slope, lowest_cost_index, per_thousand
from lib.metrics.uncertainty import Bootstrap
from lib.notice import auc_reading, prevalence_reading
from lib.runs.store import Run
from lib.text import plain
from ui.components.roc_point import released, roc_operating_point
from ui.dr import thumbnail
from ui.notice import notice, think
from ui.polls import student_box
from ui.shell import is_presenting
from ui.training import cached_predictions, linked_value, settings_tried, share_in_link

EYEPACS_REFERABLE = 0.20  # about 20 % of EyePACS training photos are level 2 or worse
# The starting values of the widgets that a button elsewhere can set (a poll's costs and prevalence): put in the session
# before the widgets are made, which then take no value of their own (a widget given a value whose key the Session
# State API also set makes Streamlit warn).
_STARTING = {"dr_prevalence": EYEPACS_REFERABLE, "dr_cost_missed": 10.0, "dr_cost_unneeded": 1.0}


def _set_threshold(value: float) -> None:
    st.session_state["dr_threshold"] = float(value)
    st.session_state["dr_threshold_input"] = float(value)


def _from_input() -> None:
    st.session_state["dr_threshold"] = float(st.session_state["dr_threshold_input"])


@st.cache_resource(max_entries=4, show_spinner="Resampling the test set ...")
def _bootstrap(run_id: str, _scores, _labels) -> Bootstrap:
    """The run's bootstrap resamples, drawn once (a run's predictions never change)."""
    return Bootstrap(_scores, _labels, samples=1000, seed=0)


def _costs(curve, prevalence: float) -> dict | None:
    """What the ROC component needs to draw the costs (None while they are off): the two costs, the iso-cost slope
    (None: vertical) and the cheapest vertex."""
    if not st.session_state.get("dr_costs_on"):
        return None
    missed, unneeded = st.session_state.get("dr_cost_missed", 10.0), st.session_state.get("dr_cost_unneeded", 1.0)
    try:
        slope = iso_cost_slope(prevalence=prevalence, missed=missed, unneeded=unneeded)
        cheapest = lowest_cost_index(curve, prevalence=prevalence, missed=missed, unneeded=unneeded)
    except ValueError:  # both costs 0: the section below says so
        return None
    return {"missed": missed, "unneeded": unneeded, "slope": None if slope == float("inf") else slope,
            "cheapest": cheapest}


def _draw_more(count: int) -> None:
    """Draw ``count`` more pairs; 0 starts again with new pairs."""
    state = st.session_state["dr_pairs"]
    state.update(n=state["n"] + count) if count else state.update(n=0, seed=state["seed"] + 1)


def _auc_pairs(run_id: str, predictions: dict, scores, labels, auc: float) -> None:
    """The AUC as a probability: random (referable, non-referable) pairs, and how often the referable one wins."""
    with st.expander("The AUC as a probability: draw pairs of photos"):
        st.markdown("Draw one **referable** and one **non-referable** test photo at random. How often does the "
                    "referable one get the higher score? Over many pairs, that share is the AUC.")
        state = st.session_state.get("dr_pairs")
        if not isinstance(state, dict) or state.get("run") != run_id:
            state = st.session_state["dr_pairs"] = {"run": run_id, "n": 0, "seed": 0}
        one, more, again = st.columns(3)
        one.button("Draw a pair", key="dr_pair_one", width="stretch", on_click=_draw_more, args=(1,))
        more.button("Draw 100 more", key="dr_pair_more", width="stretch", on_click=_draw_more, args=(100,))
        again.button("Start again", key="dr_pair_again", width="stretch", on_click=_draw_more, args=(0,))
        if not state["n"]:
            return
        draws = draw_pairs(scores, labels, state["n"], seed=state["seed"])
        pos, neg = int(draws.positive[-1]), int(draws.negative[-1])
        verdict = {1.0: "the referable photo scores higher", 0.5: "a tie (counts half)",
                   0.0: "the non-referable photo scores higher"}[float(draws.win[-1])]
        left, right, figures = st.columns([1, 1, 2])
        for col, i, name in ((left, pos, "referable"), (right, neg, "not referable")):
            image = thumbnail(str(predictions["paths"][i]))
            if image is not None:
                col.image(image, width="stretch")
            col.markdown(f"{name} · score **{scores[i]:.3f}**")
        won = float(draws.running_share[-1])
        figures.metric(f"Referable scored higher, of {state['n']} pair{'s' if state['n'] != 1 else ''}", f"{won:.1%}",
                       help="Ties count half.")
        figures.markdown(f"Last pair: {verdict}. The AUC of this test set is **{auc:.3f}**.")
        st.plotly_chart(pairs_figure(draws.running_share, auc), key="dr_pairs_chart")


def _cost_section(curve, point, prevalence: float, costs: dict | None) -> None:
    """The costs of the two errors, their expected cost per 1,000 screened, and the cheapest threshold."""
    with st.expander("What do the two errors cost?", expanded=bool(st.session_state.get("dr_costs_on"))):
        st.toggle("Show the expected cost on the curve", key="dr_costs_on")
        left, right = st.columns(2)
        left.number_input("Cost of a missed referral", 0.0, 1e6, step=1.0, key="dr_cost_missed",
                          help="A referable eye sent home: late treatment, perhaps lost sight. Any unit, the same "
                               "for both costs.")
        right.number_input("Cost of an unnecessary referral", 0.0, 1e6, step=1.0, key="dr_cost_unneeded",
                           help="A specialist's visit that finds nothing to treat.")
        if not st.session_state.get("dr_costs_on"):
            return
        if costs is None:
            st.warning("Both costs are 0: with errors that cost nothing, every threshold is as good. Give one a cost.")
            return
        here = expected_cost(point.sensitivity, point.specificity, prevalence=prevalence, missed=costs["missed"],
                             unneeded=costs["unneeded"])
        cheapest = point_on_curve(curve, float(curve.thresholds[costs["cheapest"]]))
        lowest = expected_cost(cheapest.sensitivity, cheapest.specificity, prevalence=prevalence,
                               missed=costs["missed"], unneeded=costs["unneeded"])
        st.markdown(f"At this threshold: **{per_thousand(here)}** per 1,000 screened at a prevalence of "
                    f"{prevalence:.0%}. The lowest on this curve: **{per_thousand(lowest)}**, at threshold "
                    f"{cheapest.threshold:.{THRESHOLD_DECIMALS}f}.")
        st.button("Snap to the lowest cost", on_click=_set_threshold, args=(cheapest.threshold,), key="dr_cheapest")
        st.caption("The dashed line joins every point of the same expected cost as yours: a point above it is cheaper. "
                   "Its slope is (1 - prevalence) x cost of an unnecessary referral / (prevalence x cost of a miss).")


def evaluation_section(run: Run) -> None:
    for key, value in _STARTING.items():
        st.session_state.setdefault(key, value)
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
    curve = roc(scores, labels)
    boot = _bootstrap(run.summary.run_id, scores, labels)
    auc = boot.auc()
    st.caption(f"AUC with its 95 % bootstrap interval ({boot.samples} resamples of the test set): {auc.text()}")
    notice(auc_reading(auc.value, len(labels), auc.low, auc.high))
    _auc_pairs(run.summary.run_id, predictions, scores, labels, curve.auc)
    think("auc")

    st.header("6. Choose the operating point")
    # One source of truth: dr_threshold. A release in the browser is applied here, before the component is
    # mounted, so the component, the threshold box and the figures below all show the same threshold.
    release = released("dr_roc")
    if st.session_state.get("dr_threshold_run") != run.summary.run_id:
        st.session_state["dr_threshold_run"] = run.summary.run_id
        st.session_state["dr_last_drag"] = release  # a release made on another run's curve is not this run's
        _set_threshold(curve.thresholds[youden_index(curve)])
    elif release is not None and release != st.session_state.get("dr_last_drag"):
        st.session_state["dr_last_drag"] = release
        _set_threshold(release[0])
    linked = linked_value("dr", "threshold")  # a shared link's operating point, applied once
    if linked is not None:
        try:
            value = float(linked)
        except ValueError:
            value = float("nan")
        if 0.0 <= value <= 1.001:
            _set_threshold(value)
        else:
            st.warning(f"The link's threshold '{plain(linked, limit=40)}' is not a number between 0 and 1: showing Youden's point.")
    j = youden_index(curve)
    screening = threshold_for_sensitivity(curve, 0.95)
    rule_in = threshold_for_specificity(curve, 0.95)
    presenting = is_presenting()
    # On a projector the presets and the prevalence share one row (short labels), so that the whole section, curve
    # and intervals included, fits one screen.
    b1, b2, b3, *rest = st.columns([1, 1, 1, 1.5] if presenting else 3)
    b1.button("Youden's J" if presenting else "Snap to Youden's J", on_click=_set_threshold, args=(curve.thresholds[j],),
              width="stretch", key="dr_youden")
    b1.caption("Youden's J maximises sensitivity + specificity - 1: the point farthest above the diagonal.")
    b2.button("Screening: sens. ≥ 95 %" if presenting else "Screening: sensitivity ≥ 95 %", on_click=_set_threshold,
              args=(screening,), width="stretch", key="dr_screening")
    b2.caption("Rule out: miss almost no one who needs a specialist; accept more false alarms.")
    b3.button("Rule in: spec. ≥ 95 %" if presenting else "Rule in: specificity ≥ 95 %", on_click=_set_threshold,
              args=(rule_in,), width="stretch", key="dr_rule_in")
    b3.caption("Rule in: refer only when nearly sure, where specialist time is scarce.")
    prevalence = (rest[0] if presenting else st).slider(
        "Prevalence in the population you screen" if presenting else
        "Prevalence of referable DR in the population you screen", 0.01, 0.99, step=0.01,
        key="dr_prevalence", help="About 20 % of EyePACS photos are referable.")
    st.caption(f"The test set is {labels.mean():.0%} *refer*; in a real clinic far fewer are. PPV falls with prevalence, "
               "NPV rises.")

    payload = curve_payload(curve, threshold=st.session_state["dr_threshold"], prevalence=prevalence)
    costs = _costs(curve, prevalence)
    roc_operating_point({**payload, "presentation": presenting, "costs": costs}, key="dr_roc")
    box, sensitivity, specificity = st.columns(3)
    box.number_input("Threshold (type, or use the arrow keys)", 0.0, 1.001, step=0.01, format=f"%.{THRESHOLD_DECIMALS}f",
                     key="dr_threshold_input", on_change=_from_input,
                     label_visibility="collapsed" if presenting else "visible")  # the panel above names it
    threshold = st.session_state["dr_threshold"]
    share_in_link("dr", "threshold", f"{threshold:.{THRESHOLD_DECIMALS}f}")
    point = operating_point(scores, labels, threshold, prevalence=prevalence)
    # The panel beside the curve shows this threshold's figures (once); below, how far they could move.
    sensitivity.metric("Sensitivity: 95 % interval", boot.sensitivity(threshold).span())
    specificity.metric("Specificity: 95 % interval", boot.specificity(threshold).span())
    st.caption(f"On another test set of the same size ({len(labels)} photos) the panel's sensitivity and specificity could "
               f"well be anywhere in these intervals ({boot.samples} bootstrap resamples of the test set, seeded).")
    student_box(run.summary.task, run.summary.run_id, threshold)
    _cost_section(curve, point, prevalence, costs)
    notice(prevalence_reading(point.sensitivity, point.specificity, float(labels.mean()), prevalence))
    think("screening")
    with st.expander("Precision and recall: the same test set, seen from the referrals"):
        st.plotly_chart(precision_recall_figure(curve.tpr, curve.fpr, test_prevalence=float(labels.mean()),
                                                prevalence=prevalence, point=(point.sensitivity, point.specificity)),
                        key="dr_pr")
        st.caption("Recall is sensitivity; precision is the PPV: of the photos referred, the share that are referable. "
                   "At a lower prevalence the same model's precision falls, while its ROC curve stays the same.")

    st.header("7. The photos behind the numbers")
    _galleries(predictions, scores, labels, threshold)
    _where_it_looks(run, predictions, scores, labels, threshold)


def _gallery(title: str, predictions: dict, index, scores, limit: int = 12) -> None:
    st.subheader(f"{title} ({len(index)})")
    if len(index) == 0:
        st.caption("none at this threshold")
        return
    index = index[:limit]
    images = [thumbnail(str(predictions["paths"][i])) for i in index]
    shown = [(img, f"{predictions['images'][i]} · level {predictions['levels'][i]} · score {scores[i]:.2f}")
             for img, i in zip(images, index) if img is not None]
    st.image([img for img, _ in shown], caption=[cap for _, cap in shown], width=200)


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
        left.image(result["photo"], caption="the photo as the model saw it", width="stretch")
        right.image(heat_overlay(result["photo"], result["cam"]), caption=f"Grad-CAM (score {result['score']:.2f}): red = "
                    "evidence for refer", width="stretch")
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
