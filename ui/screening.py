"""The Screening page: any screening test's scores (an uploaded or pasted CSV, or a finished DR run) with the operating
point, calibration, the decision curve and subgroups at one shared threshold. Nothing is stored beyond the session:
an uploaded file lives in this browser session's memory only, until a lecturer asks to poll the class on it (then it
is saved as a class set, :mod:`lib.classroom.sets`, and the students open it from the poll)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from lib import paths, tasks
from lib.classroom.polls import SET_TASK
from lib.data.scores import (MAX_BYTES, NO_GROUP, ScoreSet, ScoresFileError, combine, from_predictions, header_names,
                             parse_scores)
from lib.demo.fundus import other_site
from lib.figures.screening import decision_curve_figure, reliability_figure, subgroup_roc_figure
from lib.jobs.folder.store import Run
from lib.metrics.calibration import calibrate
from lib.metrics.decision import (decision_curve, net_benefit, net_benefit_refer_all, threshold_grid,
                                  threshold_probability_of_costs)
from lib.metrics.roc import operating_point
from lib.metrics.subgroups import subgroups
from lib.text import plain
from ui.notice import notice
from ui.operating_point import Chosen, Subject, auc_section, operating_point_section
from ui.polls import (followed_set, load_set, open_polls, poll_invitations, set_choices, set_id_of, set_label,
                      set_poll_section)
from ui.training import cached_predictions, run_picker
from ui.charts import chart

KEY = "screen"  # every widget key of the page starts with it
SOURCES = ("Upload a CSV", "Paste CSV text", "A finished DR run")
SET_SOURCE = "The class poll's set"  # offered while a poll on a class set is open, or one is shown
_GROUP_GUESSES = ("group", "site", "eye", "camera", "subgroup")


@dataclass(frozen=True)
class Scores:
    """What the page works on: the set, where a temperature is fitted (``fit``: a run's validation set, else None: a
    held-out half), and a digest naming the source (a new one starts at Youden's point). ``set_id``: the class set
    these items are (or would be, once a lecturer polls on them; None for a run's scores)."""

    data: ScoreSet
    source_id: str
    fit: tuple | None = None
    run: Run | None = None
    set_id: str | None = None


def _choose(label: str, names: list[str], guesses, *, key: str, optional: bool = False) -> str | None:
    options = ([NO_GROUP] if optional else []) + names
    default = next((options.index(g) for g in guesses if g in options), 0)
    chosen = st.selectbox(label, options, index=default, key=key)
    return None if chosen == NO_GROUP else chosen


def _from_text(data: bytes | str, name: str) -> Scores | None:
    names = header_names(data)
    if len(names) < 2:
        st.error(f"{plain(name)} needs a header row with at least two columns (a score and a 0/1 label), e.g. "
                 "score,label")
        return None
    c1, c2, c3 = st.columns(3)
    score = _choose("Score column", names, ("score", "prob", "probability", names[0]), key=f"{KEY}_col_score")
    label = _choose("Label column (0 / 1)", names, ("label", "truth", "y", "outcome", names[-1]), key=f"{KEY}_col_label")
    with c3:
        group = _choose("Subgroup column (optional)", names, _GROUP_GUESSES, key=f"{KEY}_col_group", optional=True)
    del c1, c2
    try:
        parsed = parse_scores(data, source=name, score=score, label=label, group=group)
    except ScoresFileError as exc:
        st.error(plain(str(exc)), icon=":material/error:")
        return None
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    digest = hashlib.sha1(raw + f"|{score}|{label}|{group}".encode()).hexdigest()[:12]
    return Scores(parsed, source_id=f"upload-{digest}", set_id=set_id_of(parsed))


def _from_class_set(choices: list[str]) -> Scores | None:
    """A class set a lecturer polls the class on (the poll's "Open the poll's set" chose it)."""
    set_id = st.selectbox("The class set", choices, key=f"{KEY}_class_set", format_func=set_label)
    data = load_set(set_id) if set_id else None
    if data is None:
        return None
    return Scores(data, source_id=set_id, set_id=set_id)


@st.cache_data(show_spinner="Scoring the other site's photos with this run's model (in a child process) ...",
               max_entries=8)
def _other_site_csv(run_dir: str, site: str, model_mtime: float) -> tuple[str | None, str | None]:
    """(CSV text, None) of ``python -m lib score``, or (None, why it failed)."""
    with tempfile.TemporaryDirectory(dir=paths.cache_dir() if paths.cache_dir().is_dir() else None) as folder:
        out = Path(folder) / "site.csv"
        try:
            done = subprocess.run([sys.executable, "-m", "lib", "score", run_dir, site, "--out", str(out)],
                                  capture_output=True, text=True, timeout=600,
                                  env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        except (subprocess.TimeoutExpired, OSError) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if done.returncode != 0 or not out.is_file():
            lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
            return None, lines[-1].removeprefix("error: ") if lines else f"exit status {done.returncode}"
        return out.read_text(), None


def _classifier():
    """The task whose runs have test scores and labels (the first whose headline is the AUC: DR)."""
    return next((task for task in tasks.all_tasks() if task.headline == "auc"), None)


def _from_run() -> Scores | None:
    task = _classifier()
    if task is None:
        st.info("No task of this server trains a classifier.")
        return None
    run = run_picker(task.name)
    if run is None:
        return None
    try:
        predictions = cached_predictions(run)
        data = from_predictions(predictions, source=f"run {run.summary.label}")
    except (ValueError, ScoresFileError) as exc:
        st.error(plain(str(exc)))
        return None
    fit = (predictions["val_scores"], predictions["val_labels"]) if "val_scores" in predictions else None
    site = other_site(run.config.get("data", ""))
    scores = Scores(data, source_id=f"run-{run.summary.run_id}", fit=fit, run=run)
    if site is None or not run.model_path().is_file() or task.score_folder is None:
        return scores
    st.subheader("Another site")
    st.markdown("The demo data has a second site: the same kind of patients photographed with **another camera** "
                "(cooler light, softer focus, a narrower field of view). Would you trust this model there?")
    if not st.toggle("Test this run on the other site's photos too", key=f"{KEY}_other_site"):
        return scores
    text, error = _other_site_csv(str(run.path), str(site), run.model_path().stat().st_mtime)
    if error:
        st.error(f"The other site's photos could not be scored: {plain(error)}")
        return scores
    other = parse_scores(text, source="the other site")
    both = combine({"site A (this run's test set)": data, "site B (another camera)": other}, source=data.source)
    st.caption("Both sites are now one set, the site as its subgroup: the subgroups below show what changed at one "
               "shared threshold.")
    return Scores(both, source_id=f"{scores.source_id}-sites", fit=fit, run=run)


def source_section() -> Scores | None:
    """Where the scores come from: an uploaded file, pasted text, or a finished DR run; None until there are some
    (the page says what is missing)."""
    st.header("1. Your scores")
    state = st.session_state
    followed = followed_set()
    if followed:  # a poll's "Open the poll's set", before the widgets below are drawn
        state[f"{KEY}_source"], state[f"{KEY}_class_set"] = SET_SOURCE, followed
    polls = open_polls(SET_TASK)
    choices = set_choices(polls, state.get(f"{KEY}_class_set"))
    sources = SOURCES + ((SET_SOURCE,) if choices else ())
    if state.get(f"{KEY}_source") not in (None, *sources):
        state[f"{KEY}_source"] = SOURCES[0]
    source = st.radio("Scores from", sources, horizontal=True, key=f"{KEY}_source")
    if source == SET_SOURCE:
        return _from_class_set(choices)
    scores = _from_run() if source == SOURCES[2] else _from_file(source)
    if scores is None:
        poll_invitations(polls)  # nothing to answer with yet: the polls' sets are one click away
    return scores


def _from_file(source: str) -> Scores | None:
    if source == SOURCES[0]:
        upload = st.file_uploader(f"A CSV with a score column and a 0/1 label column (at most {MAX_BYTES // 2**20} "
                                  "MB; kept in this session only)", type=["csv", "txt"], key=f"{KEY}_upload")
        if upload is None:
            st.info("Upload a CSV: one row per item, a score (higher = more likely positive) and a label (1 positive, "
                    "0 negative); optionally a subgroup (a site, a camera, an eye) and an image name or ID. Any DR "
                    "run's test scores download in this format.", icon=":material/upload_file:")
            return None
        return _from_text(upload.getvalue(), upload.name)
    text = st.text_area("CSV text (a header row, then one row per item)", key=f"{KEY}_paste", height=160,
                        placeholder="score,label,site\n0.91,1,A\n0.12,0,B\n...")
    if not text.strip():
        return None
    return _from_text(text, "the pasted text")


def operating_section(scores: Scores) -> Chosen:
    """The DR page's operating point, on these scores (:mod:`ui.operating_point`)."""
    data = scores.data
    st.header("2. The operating point")
    st.caption(f"{plain(data.source)}: {data.n} items, {data.n_pos} positive and {data.n - data.n_pos} negative.")
    run = scores.run
    subject = Subject(key=KEY, source_id=scores.source_id, positive="positive", negative="negative", items="items",
                      item="item", label="positive",
                      population="Prevalence of the condition in the population you screen",
                      prevalence_help="The share of positives where the test will be used; a validation set often "
                                      "holds more positives than a clinic sees.",
                      default_prevalence=0.2, task=run.summary.task if run is not None else SET_TASK,
                      run_id=run.summary.run_id if run is not None else scores.set_id)
    auc_section(subject, data.scores, data.labels)
    chosen = operating_point_section(subject, data.scores, data.labels)
    if scores.set_id is not None:
        set_poll_section(data, scores.set_id)  # a lecturer's: poll the class on this set
    return chosen


def calibration_section(scores: Scores, chosen: Chosen) -> None:
    """Reliability before and after temperature scaling, Brier and ECE, and what the scaling changed."""
    data = scores.data
    st.header("3. Do the scores mean what they say?")
    if not data.probabilities:
        low, high = data.score_range
        st.info(f"The scores run from {low:.4g} to {high:.4g}: they are not probabilities "
                "in [0, 1], so calibration (and the decision curve below) does not apply. Everything above does: the "
                "ROC needs only the order of the scores.")
        return
    try:
        if scores.fit is not None:
            result = calibrate(data.scores, data.labels, fit_scores=scores.fit[0], fit_labels=scores.fit[1])
        else:
            result = calibrate(data.scores, data.labels, seed=0)
    except ValueError as exc:
        st.warning(f"No temperature could be fitted: {plain(str(exc))}")
        return
    chart(reliability_figure(result.before.reliability, result.after.reliability), key=f"{KEY}_reliability",
          name="Reliability diagram before and after temperature scaling",
          summary=f"The observed share of positives in each bin of scores against the mean score, before and after "
                  f"temperature scaling (T = {result.temperature:.2f}); the diagonal is a test whose scores mean what "
                  "they say.")
    c1, c2, c3 = st.columns(3)
    c1.metric("Temperature T", f"{result.temperature:.2f}")
    c2.metric("Brier score after scaling", f"{result.after.brier:.4f}", delta=f"{result.after.brier - result.before.brier:+.4f}",
              delta_color="inverse", help="Mean squared gap between score and outcome (lower is better); before -> after")
    c3.metric("ECE after scaling", f"{result.after.ece:.4f}",
              delta=f"{result.after.ece - result.before.ece:+.4f}", delta_color="inverse",
              help="Count-weighted mean gap between each bin's share of positives and its mean score")
    st.caption(f"Temperature scaling, sigmoid(logit(score) / T), {result.source()}. T > 1 softens over-confident "
               "scores; T < 1 sharpens timid ones.")
    before = operating_point(result.scores_before, result.labels, chosen.threshold)
    after = operating_point(result.scores_after, result.labels, chosen.threshold)
    ppv = (f"PPV {before.ppv:.1%} -> {after.ppv:.1%}" if before.ppv == before.ppv and after.ppv == after.ppv
           else "PPV not defined where nobody is referred")
    notice(f"What scaling changed: the AUC is the same ({result.before.auc:.3f} -> {result.after.auc:.3f}): T changes "
           f"no score's rank. At your threshold {chosen.threshold:.4f} the same number now refers "
           f"{before.tp + before.fp} -> {after.tp + after.fp} of these {result.n_evaluated} items: sensitivity "
           f"{before.sensitivity:.1%} -> {after.sensitivity:.1%}, {ppv}. A threshold read as a probability only "
           "means that probability once the scores are calibrated.")


def decision_section(scores: Scores, chosen: Chosen) -> None:
    """Net benefit of the model, refer-all and refer-none, with the chosen threshold marked."""
    data = scores.data
    st.header("4. Is the test worth using? The decision curve")
    if not data.probabilities:
        st.caption("Not for scores outside [0, 1] (see above).")
        return
    low, high = st.slider("Threshold probabilities shown", 0.01, 0.99, (0.01, 0.5), step=0.01, key=f"{KEY}_pt_range")
    if high - low < 0.02:
        st.caption("Widen the range to draw the curve.")
        return
    curve = decision_curve(data.scores, data.labels, thresholds=threshold_grid(low, high, 60))
    t = chosen.threshold
    marker = (t, net_benefit(data.scores, data.labels, t)) if low <= t <= high else None
    chart(decision_curve_figure(curve, marker=marker), key=f"{KEY}_decision", name="Decision curve",
          summary=f"Net benefit of the test, of referring everyone and of referring no one, for threshold "
                  f"probabilities from {low:.2f} to {high:.2f}" + ("" if marker is None else
                  f"; at your threshold {t:.4f} the test's net benefit is {marker[1]:.3f}") + ".")
    if marker is None:
        st.caption(f"Your threshold {t:.4f} is outside the range shown.")
    else:
        st.caption(f"At your threshold {t:.4f}: net benefit {marker[1]:.3f} (refer everyone "
                   f"{net_benefit_refer_all(data.labels, t):.3f}, refer no one 0).")
    missed = float(st.session_state.get(f"{KEY}_cost_missed", 10.0))
    unneeded = float(st.session_state.get(f"{KEY}_cost_unneeded", 1.0))
    try:
        pt = threshold_probability_of_costs(missed=missed, unneeded=unneeded)
        costs = (f" The costs in the operating-point section (a missed case {missed:g}, an unneeded referral "
                 f"{unneeded:g}) put it at {pt:.3f}.")
    except ValueError:
        costs = ""
    notice("The threshold probability is the cost ratio: referring everyone above pt is right for someone who "
           "counts an unneeded referral as pt / (1 - pt) of a missed case, e.g. pt = 0.1 when one missed case "
           f"weighs as much as 9 unneeded referrals.{costs} Where the model's curve is above both 'refer everyone' "
           "and 'refer no one', acting on it does more good than harm at that weighting.")


def subgroup_section(scores: Scores, chosen: Chosen) -> None:
    """Each subgroup's ROC, AUC with its interval, and sensitivity / specificity at the one shared threshold."""
    data = scores.data
    st.header("5. One threshold for everyone?")
    if data.groups is None:
        st.caption("No subgroup column: choose one above (a site, a camera, an eye) to see each group at this "
                   "threshold.")
        return
    rows = subgroups(data.scores, data.labels, data.groups, threshold=chosen.threshold, samples=500, seed=0)
    chart(subgroup_roc_figure(rows, threshold=chosen.threshold), key=f"{KEY}_groups_roc", name="ROC curve of each subgroup",
          summary=f"One ROC curve for each of the {len(rows)} subgroups, each with the point the shared threshold "
                  f"{chosen.threshold:.4f} gives it; the table below has their figures.")

    def shown(interval, percent=True) -> str:
        if interval is None:
            return "n/a"
        if interval.low != interval.low:  # no interval (one class)
            return f"{interval.value:.0%}" if percent else f"{interval.value:.3f}"
        return interval.text(percent=percent)

    st.dataframe([{"group": r.name, "n": r.n, "positive": r.n_pos, "AUC (95 % interval)": shown(r.auc, False),
                   "sensitivity": shown(r.sensitivity), "specificity": shown(r.specificity), "note": r.note}
                  for r in rows], hide_index=True, key=f"{KEY}_groups_table")
    sensitivities = [r.sensitivity.value for r in rows if r.sensitivity is not None]
    if len(sensitivities) >= 2:
        notice(f"At the one threshold {chosen.threshold:.4f}, sensitivity runs from {min(sensitivities):.0%} to "
               f"{max(sensitivities):.0%} across the groups. A threshold chosen on everyone can fail one group "
               "(hidden stratification; a new camera or hospital): look at the intervals before trusting a gap in a "
               "small group.")
