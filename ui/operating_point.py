"""The operating point of any screening test (a trained run's test scores or an uploaded set): the AUC and its
interval, the AUC as a probability, the draggable ROC with the presets, the prevalence, the costs, the intervals of
sensitivity and specificity, precision and recall, and a class poll's answer box beside the panel.

The DR page and the screening page both call it; what differs between them is in a ``Subject``. Every widget's key
starts with ``Subject.key`` ("dr" on the DR page), so two subjects never share a threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from lib.figures.charts import pairs_figure, precision_recall_figure
from lib.metrics.cost import expected_cost, iso_cost_slope, lowest_cost_index, per_thousand
from lib.metrics.roc import (
    THRESHOLD_DECIMALS, OperatingPoint, RocCurve, curve_payload, draw_pairs, operating_point, point_on_curve, roc,
    threshold_for_sensitivity, threshold_for_specificity, youden_index,
)
from lib.metrics.uncertainty import Bootstrap
from lib.notice import auc_reading, prevalence_reading
from lib.text import plain
from ui.components.roc_point import released, roc_operating_point
from ui.notice import notice
from ui.polls import open_polls, student_box
from ui.shell import is_presenting
from ui.training import linked_value, share_in_link
from ui.charts import chart, picture


@dataclass(frozen=True)
class Subject:
    """What the scores are about, in the page's words.

    ``key`` prefixes every widget key; ``source_id`` names the scores (a run id, or an uploaded file's digest): a new
    source starts at Youden's point. ``task`` and ``run_id`` say which class polls may be answered here (None: none);
    ``link`` keeps the threshold in the page's address for a shared link.
    """

    key: str
    source_id: str
    positive: str = "referable"
    negative: str = "non-referable"
    items: str = "photos"
    item: str = "photo"
    label: str = "refer"
    population: str = "Prevalence of referable DR in the population you screen"
    prevalence_help: str = "About 20 % of EyePACS photos are referable."
    default_prevalence: float = 0.20
    task: str | None = None
    run_id: str | None = None
    link: bool = False


@dataclass(frozen=True)
class Chosen:
    """The operating point the section ended on, for what the page draws below it."""

    threshold: float
    point: OperatingPoint
    prevalence: float
    curve: RocCurve


@st.cache_resource(max_entries=8, show_spinner="Resampling the test set ...")
def _bootstrap(source_id: str, _scores, _labels) -> Bootstrap:
    """The scores' bootstrap resamples, drawn once per source (a run's predictions never change; an uploaded set is
    named by its digest)."""
    return Bootstrap(_scores, _labels, samples=1000, seed=0)


def bootstrap(subject: Subject, scores, labels) -> Bootstrap:
    return _bootstrap(subject.source_id, scores, labels)


def _k(subject: Subject, name: str) -> str:
    return f"{subject.key}_{name}"


def _set_threshold(key: str, value: float) -> None:
    st.session_state[f"{key}_threshold"] = float(value)
    st.session_state[f"{key}_threshold_input"] = float(value)


def _from_input(key: str) -> None:
    st.session_state[f"{key}_threshold"] = float(st.session_state[f"{key}_threshold_input"])


def auc_section(subject: Subject, scores, labels, *, image: Callable[[int], object] | None = None,
                describe: Callable[[int], str] | None = None) -> float:
    """The AUC with its bootstrap interval, what it means, and the AUC as a probability drawn pair by pair.

    ``image(i)`` gives item i's picture (None: none), ``describe(i)`` its name; both optional. Returns the AUC.
    """
    boot = bootstrap(subject, scores, labels)
    auc = boot.auc()
    st.caption(f"AUC with its 95 % bootstrap interval ({boot.samples} resamples of the test set): {auc.text()}")
    notice(auc_reading(auc.value, len(labels), auc.low, auc.high, positive=subject.positive, negative=subject.negative,
                       item=subject.item))
    _auc_pairs(subject, scores, labels, auc.value, image=image, describe=describe)
    return auc.value


def _draw_more(key: str, count: int) -> None:
    """Draw ``count`` more pairs; 0 starts again with new pairs."""
    state = st.session_state[f"{key}_pairs"]
    state.update(n=state["n"] + count) if count else state.update(n=0, seed=state["seed"] + 1)


def _auc_pairs(subject: Subject, scores, labels, auc: float, *, image, describe) -> None:
    """The AUC as a probability: random (positive, negative) pairs, and how often the positive one wins."""
    key = subject.key
    with st.expander(f"The AUC as a probability: draw pairs of {subject.items}"):
        st.markdown(f"Draw one **{subject.positive}** and one **{subject.negative}** test item at random. How often "
                    f"does the {subject.positive} one get the higher score? Over many pairs, that share is the AUC.")
        state = st.session_state.get(f"{key}_pairs")
        if not isinstance(state, dict) or state.get("run") != subject.source_id:
            state = st.session_state[f"{key}_pairs"] = {"run": subject.source_id, "n": 0, "seed": 0}
        one, more, again = st.columns(3)
        one.button("Draw a pair", key=f"{key}_pair_one", width="stretch", on_click=_draw_more, args=(key, 1))
        more.button("Draw 100 more", key=f"{key}_pair_more", width="stretch", on_click=_draw_more, args=(key, 100))
        again.button("Start again", key=f"{key}_pair_again", width="stretch", on_click=_draw_more, args=(key, 0))
        if not state["n"]:
            return
        draws = draw_pairs(scores, labels, state["n"], seed=state["seed"])
        pos, neg = int(draws.positive[-1]), int(draws.negative[-1])
        verdict = {1.0: f"the {subject.positive} one scores higher", 0.5: "a tie (counts half)",
                   0.0: f"the {subject.negative} one scores higher"}[float(draws.win[-1])]
        left, right, figures = st.columns([1, 1, 2])
        for col, i, name in ((left, pos, subject.positive), (right, neg, subject.negative)):
            shown = image(i) if image is not None else None
            label = plain(describe(i), limit=80) if describe is not None else f"item {i + 1}"
            if shown is not None:
                picture(col, shown, alt=f"The {name} {subject.item} of the pair: {label}, score {scores[i]:.3f}",
                        width="stretch")
            col.markdown(f"{name}: {label} · score **{scores[i]:.3f}**")
        won = float(draws.running_share[-1])
        figures.metric(f"{subject.positive.capitalize()} scored higher, of {state['n']} pair"
                       f"{'s' if state['n'] != 1 else ''}", f"{won:.1%}", help="Ties count half.")
        figures.markdown(f"Last pair: {verdict}. The AUC of this test set is **{auc:.3f}**.")
        chart(pairs_figure(draws.running_share, auc), key=f"{key}_pairs_chart",
              name="The share of pairs the positive one won",
              summary=f"After {state['n']} pairs the {subject.positive} {subject.item} scored higher in {won:.1%} of them; "
                      f"the line it approaches is the AUC, {auc:.3f}.")


def _costs(subject: Subject, curve, prevalence: float) -> dict | None:
    """What the ROC component needs to draw the costs (None while they are off): the two costs, the iso-cost slope
    (None: vertical) and the cheapest vertex."""
    state = st.session_state
    if not state.get(_k(subject, "costs_on")):
        return None
    missed, unneeded = state.get(_k(subject, "cost_missed"), 10.0), state.get(_k(subject, "cost_unneeded"), 1.0)
    try:
        slope = iso_cost_slope(prevalence=prevalence, missed=missed, unneeded=unneeded)
        cheapest = lowest_cost_index(curve, prevalence=prevalence, missed=missed, unneeded=unneeded)
    except ValueError:  # both costs 0: the section below says so
        return None
    return {"missed": missed, "unneeded": unneeded, "slope": None if slope == float("inf") else slope,
            "cheapest": cheapest}


def _cost_section(subject: Subject, curve, point, prevalence: float, costs: dict | None) -> None:
    """The costs of the two errors, their expected cost per 1,000 screened, and the cheapest threshold."""
    key = subject.key
    with st.expander("What do the two errors cost?", expanded=bool(st.session_state.get(_k(subject, "costs_on")))):
        st.toggle("Show the expected cost on the curve", key=_k(subject, "costs_on"))
        left, right = st.columns(2)
        left.number_input("Cost of a missed referral", 0.0, 1e6, step=1.0, key=_k(subject, "cost_missed"),
                          help=f"A {subject.positive} case sent home: late treatment, perhaps worse. Any unit, the "
                               "same for both costs.")
        right.number_input("Cost of an unnecessary referral", 0.0, 1e6, step=1.0, key=_k(subject, "cost_unneeded"),
                           help="A specialist's visit that finds nothing to treat.")
        if not st.session_state.get(_k(subject, "costs_on")):
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
        st.button("Snap to the lowest cost", on_click=_set_threshold, args=(key, cheapest.threshold),
                  key=_k(subject, "cheapest"))
        st.caption("The dashed line joins every point of the same expected cost as yours: a point above it is cheaper. "
                   "Its slope is (1 - prevalence) x cost of an unnecessary referral / (prevalence x cost of a miss).")


def _threshold_range(curve) -> tuple[float, float]:
    """The threshold box's bounds: 0 to just above 1 for probabilities, wider for scores on another scale (logits, a
    risk score), so that every vertex of the curve can be typed."""
    lowest, highest = float(min(curve.thresholds)), float(max(curve.thresholds))
    return min(0.0, lowest), max(1.001, highest)


def _start(subject: Subject, curve) -> None:
    """Apply, before anything is drawn, what moved the threshold since the last run: a new source (Youden's point),
    a release of the handle in the browser, a shared link's threshold."""
    state, key = st.session_state, subject.key
    state.setdefault(_k(subject, "prevalence"), subject.default_prevalence)
    state.setdefault(_k(subject, "cost_missed"), 10.0)
    state.setdefault(_k(subject, "cost_unneeded"), 1.0)
    release = released(_k(subject, "roc"))
    if state.get(_k(subject, "threshold_run")) != subject.source_id:
        state[_k(subject, "threshold_run")] = subject.source_id
        state[_k(subject, "last_drag")] = release  # a release made on another source's curve is not this one's
        _set_threshold(key, curve.thresholds[youden_index(curve)])
    elif release is not None and release != state.get(_k(subject, "last_drag")):
        state[_k(subject, "last_drag")] = release
        _set_threshold(key, release[0])
    if subject.link:
        linked = linked_value(key, "threshold")  # a shared link's operating point, applied once
        if linked is not None:
            try:
                value = float(linked)
            except ValueError:
                value = float("nan")
            low, high = _threshold_range(curve)
            if low <= value <= high:
                _set_threshold(key, value)
            else:
                st.warning(f"The link's threshold '{plain(linked, limit=40)}' is not a number between {low:g} and "
                           f"{high:g}: showing Youden's point.")


def operating_point_section(subject: Subject, scores, labels) -> Chosen:
    """The presets, the prevalence, the draggable ROC and its panel, the threshold box, the intervals, a class poll's
    answer box beside them, the costs and precision / recall. Needs both classes in ``labels``."""
    # One source of truth: {key}_threshold. A release in the browser is applied before the component is mounted, so
    # the component, the threshold box and the figures below all show the same threshold.
    key = subject.key
    curve = roc(scores, labels)
    _start(subject, curve)
    j = youden_index(curve)
    screening = threshold_for_sensitivity(curve, 0.95)
    rule_in = threshold_for_specificity(curve, 0.95)
    presenting = is_presenting()
    # On a projector the presets and the prevalence share one row (short labels), so that the whole section, curve
    # and intervals included, fits one screen.
    b1, b2, b3, *rest = st.columns([1, 1, 1, 1.5] if presenting else 3)
    b1.button("Youden's J" if presenting else "Snap to Youden's J", on_click=_set_threshold,
              args=(key, curve.thresholds[j]), width="stretch", key=_k(subject, "youden"))
    b1.caption("Youden's J maximises sensitivity + specificity - 1: the point farthest above the diagonal.")
    b2.button("Screening: sens. ≥ 95 %" if presenting else "Screening: sensitivity ≥ 95 %", on_click=_set_threshold,
              args=(key, screening), width="stretch", key=_k(subject, "screening"))
    b2.caption("Rule out: miss almost no one who needs a specialist; accept more false alarms.")
    b3.button("Rule in: spec. ≥ 95 %" if presenting else "Rule in: specificity ≥ 95 %", on_click=_set_threshold,
              args=(key, rule_in), width="stretch", key=_k(subject, "rule_in"))
    b3.caption("Rule in: refer only when nearly sure, where specialist time is scarce.")
    prevalence = (rest[0] if presenting else st).slider(
        "Prevalence in the population you screen" if presenting else subject.population, 0.01, 0.99, step=0.01,
        key=_k(subject, "prevalence"), help=subject.prevalence_help)
    st.caption(f"The test set is {labels.mean():.0%} {subject.positive}; in a real clinic far fewer are. PPV falls with "
               "prevalence, NPV rises.")

    polls = open_polls(subject.task) if subject.task else []
    # A student answering a poll sees the answer box beside the curve and its panel, not below the fold.
    here, beside = st.columns([5, 2]) if polls else (st.container(), None)
    costs = _costs(subject, curve, prevalence)
    with here:
        payload = curve_payload(curve, threshold=st.session_state[_k(subject, "threshold")], prevalence=prevalence)
        roc_operating_point({**payload, "presentation": presenting, "costs": costs}, key=_k(subject, "roc"))
        box, sensitivity, specificity = st.columns(3)
        box.number_input("Threshold (type, or use the arrow keys)", *_threshold_range(curve), step=0.01,
                         format=f"%.{THRESHOLD_DECIMALS}f", key=_k(subject, "threshold_input"), on_change=_from_input,
                         args=(key,), label_visibility="collapsed" if presenting else "visible")  # the panel names it
        threshold = float(st.session_state[_k(subject, "threshold")])
        if subject.link:
            share_in_link(key, "threshold", f"{threshold:.{THRESHOLD_DECIMALS}f}")
        point = operating_point(scores, labels, threshold, prevalence=prevalence)
        boot = bootstrap(subject, scores, labels)
        # The panel beside the curve shows this threshold's figures (once); below, how far they could move.
        sensitivity.metric("Sensitivity: 95 % interval", boot.sensitivity(threshold).span())
        specificity.metric("Specificity: 95 % interval", boot.specificity(threshold).span())
        st.caption(f"On another test set of the same size ({len(labels)} {subject.items}) the panel's sensitivity and "
                   f"specificity could well be anywhere in these intervals ({boot.samples} bootstrap resamples of the "
                   "test set, seeded).")
    with beside if beside is not None else st.container():  # with no poll open: what became of an answer, if any
        student_box(polls, subject.run_id, threshold, key=key)
    _cost_section(subject, curve, point, prevalence, costs)
    notice(prevalence_reading(point.sensitivity, point.specificity, float(labels.mean()), prevalence,
                              label=subject.label, positive=subject.positive, item=subject.item))
    return Chosen(threshold=threshold, point=point, prevalence=prevalence, curve=curve)


def precision_recall(subject: Subject, chosen: Chosen, labels) -> None:
    """Precision and recall at the chosen point: the same test set seen from the referrals."""
    with st.expander("Precision and recall: the same test set, seen from the referrals"):
        chart(precision_recall_figure(chosen.curve.tpr, chosen.curve.fpr, test_prevalence=float(labels.mean()),
                                      prevalence=chosen.prevalence,
                                      point=(chosen.point.sensitivity, chosen.point.specificity)),
              key=_k(subject, "pr"), name="Precision against recall",
              summary=f"Precision (PPV) against recall (sensitivity), at the test set's prevalence "
                      f"({float(labels.mean()):.0%}) and at {chosen.prevalence:.0%}; your point is at recall "
                      f"{chosen.point.sensitivity:.0%}.")
        st.caption("Recall is sensitivity; precision is the PPV: of the items referred, the share that are positive. "
                   "At a lower prevalence the same model's precision falls, while its ROC curve stays the same.")
