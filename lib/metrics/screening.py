"""One screening test summarised: discrimination, calibration, net benefit and subgroups in one JSON-ready dict.

What ``python -m lib screen`` prints and what the screening page offers for download; every number comes from the
pure functions of :mod:`lib.metrics` (:mod:`.roc`, :mod:`.calibration`, :mod:`.decision`, :mod:`.subgroups`).
"""

from __future__ import annotations

import math

import numpy as np

from lib.metrics.calibration import DEFAULT_BINS, brier_score, calibrate, expected_calibration_error
from lib.metrics.decision import net_benefit, net_benefit_refer_all
from lib.metrics.roc import check_scores_and_labels, operating_point, roc
from lib.metrics.subgroups import subgroups, youden_threshold
from lib.metrics.uncertainty import Bootstrap

DEFAULT_PTS = (0.1, 0.2, 0.3)  # threshold probabilities for the net benefit when none are asked for


def _number(value):
    """A float for JSON: NaN and infinities become None (JSON has neither)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def pt_key(pt: float) -> str:
    """How a threshold probability is written as a key: ``0.1`` -> ``"0.1"``."""
    return f"{float(pt):g}"


def summary(scores, labels, *, groups=None, threshold: float | None = None, thresholds=DEFAULT_PTS,
            bins: int = DEFAULT_BINS, samples: int = 1000, seed: int = 0) -> dict:
    """Everything about one test set, JSON-ready (NaN as None).

    Parameters
    ----------
    scores, labels : array-like of shape (n,), finite scores and 0 / 1 labels with both classes
    groups : array-like of shape (n,), keyword-only, optional; each item's subgroup
    threshold : float, keyword-only; the shared operating point (score >= threshold is positive); default Youden's
    thresholds : iterable of floats in (0, 1), keyword-only; threshold probabilities for the net benefit
    bins : the reliability diagram's equal-count bins, keyword-only
    samples, seed : keyword-only; the bootstrap's resamples and the seed of both the bootstrap and the held-out half

    Returns
    -------
    dict with n, n_pos, n_neg, auc, auc_interval, threshold, threshold_rule, sensitivity, specificity, ppv, npv,
    brier, ece, temperature, temperature_fitted_on, brier_after, ece_after (calibration: None with a
    ``calibration_note`` when the scores are not probabilities or the set is too small to hold a half out),
    net_benefit and net_benefit_refer_all ({pt: value}), groups ({name: n, auc, sensitivity, specificity and intervals}).

    Raises
    ------
    ValueError
        As :func:`lib.metrics.roc.roc`; a threshold probability outside (0, 1).
    """
    scores, labels = check_scores_and_labels(scores, labels)
    curve = roc(scores, labels)
    rule = "given"
    if threshold is None:
        threshold, rule = youden_threshold(scores, labels), "Youden's J"
    point = operating_point(scores, labels, threshold)
    auc = Bootstrap(scores, labels, samples=samples, seed=seed).auc()
    out = {"n": int(scores.size), "n_pos": curve.n_pos, "n_neg": curve.n_neg, "auc": _number(curve.auc),
           "auc_interval": [_number(auc.low), _number(auc.high)], "threshold": _number(threshold),
           "threshold_rule": rule, "sensitivity": _number(point.sensitivity),
           "specificity": _number(point.specificity), "ppv": _number(point.ppv), "npv": _number(point.npv)}
    calibration = {"brier": None, "ece": None, "calibration_bins": int(bins), "temperature": None,
                   "temperature_fitted_on": None, "brier_after": None, "ece_after": None}
    pts = [float(pt) for pt in thresholds]
    if scores.min() < 0 or scores.max() > 1:
        calibration["calibration_note"] = (f"the scores run from {scores.min():.4g} to {scores.max():.4g}, not "
                                           "probabilities in [0, 1]: no calibration or net benefit")
        out.update(calibration, net_benefit={}, net_benefit_refer_all={})
    else:
        calibration.update(brier=brier_score(scores, labels), ece=expected_calibration_error(scores, labels, bins=bins))
        try:
            fitted = calibrate(scores, labels, bins=bins, seed=seed)
        except ValueError as exc:
            calibration["calibration_note"] = f"no temperature: {exc}"
        else:
            calibration.update(temperature=fitted.temperature,
                               temperature_fitted_on=fitted.source().replace("seeded,", f"seeded (seed {seed}),"),
                               brier_after=fitted.after.brier, ece_after=fitted.after.ece,
                               brier_before_on_that_half=fitted.before.brier, ece_before_on_that_half=fitted.before.ece)
        out.update({key: _number(value) if isinstance(value, float) else value for key, value in calibration.items()})
        if pts:
            model, everyone = net_benefit(scores, labels, pts), net_benefit_refer_all(labels, pts)
            out["net_benefit"] = {pt_key(pt): _number(v) for pt, v in zip(pts, model)}
            out["net_benefit_refer_all"] = {pt_key(pt): _number(v) for pt, v in zip(pts, everyone)}
        else:
            out["net_benefit"], out["net_benefit_refer_all"] = {}, {}
    out["groups"] = {}
    if groups is not None:
        for row in subgroups(scores, labels, np.asarray(groups), threshold=threshold, samples=samples, seed=seed):
            figures = row.to_dict()
            out["groups"][figures.pop("name")] = figures
    return out
