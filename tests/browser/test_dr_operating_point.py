"""Dragging the ROC operating point with the mouse, in a real browser."""

import numpy as np
import pytest

from lib.metrics.roc import THRESHOLD_DECIMALS, operating_point, roc, youden_index
from lib.metrics.uncertainty import Bootstrap
from tests.browser.conftest import screenshot
from tests.helpers.runs import make_dr_run

pytestmark = pytest.mark.browser

PAD, SIZE, VIEW = 56, 400, 476  # the component's SVG geometry (ui/components/roc_point.js)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def test_dragging_the_handle_updates_the_figures_to_libs_values(page, app_url, run_store, demo_root):
    run_dir = make_dr_run(run_store, demo_root / "eyepacs")
    predictions = np.load(run_dir / "predictions.npz")
    scores, labels = predictions["scores"], predictions["labels"]
    curve = roc(scores, labels)

    page.goto(app_url + "/dr")
    svg = page.locator(".roc-root svg")
    svg.wait_for(timeout=90_000)
    assert page.get_by_text("DR referral").first.is_visible()  # the app's own navigation, even on a direct link
    svg.scroll_into_view_if_needed()
    sens = page.locator('[data-field="sensitivity"]')
    spec = page.locator('[data-field="specificity"]')
    start = operating_point(scores, labels, float(curve.thresholds[youden_index(curve)]))
    assert (sens.inner_text(), spec.inner_text()) == (_pct(start.sensitivity), _pct(start.specificity))

    box = svg.bounding_box()
    scale = box["width"] / VIEW
    to_screen = lambda f, t: (box["x"] + (PAD + f * SIZE) * scale, box["y"] + (PAD + (1 - t) * SIZE) * scale)
    handle = page.locator(".roc-root .handle").bounding_box()
    target = int(np.argmin(np.abs(curve.fpr - 0.08) + np.abs(curve.tpr - 0.5)))  # low on the curve, far from Youden
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    goal = to_screen(curve.fpr[target], curve.tpr[target])
    page.mouse.move(*goal, steps=15)
    page.mouse.up()

    cx = float(page.locator(".roc-root .handle").get_attribute("cx"))
    cy = float(page.locator(".roc-root .handle").get_attribute("cy"))
    fpr, tpr = (cx - PAD) / SIZE, 1 - (cy - PAD) / SIZE
    vertex = int(np.argmin(np.abs(curve.fpr - fpr) + np.abs(curve.tpr - tpr)))
    moved_to = float(curve.thresholds[vertex])
    expected = operating_point(scores, labels, moved_to)
    assert vertex != youden_index(curve)
    assert (sens.inner_text(), spec.inner_text()) == (_pct(expected.sensitivity), _pct(expected.specificity))
    assert (sens.inner_text(), spec.inner_text()) != (_pct(start.sensitivity), _pct(start.specificity))
    shown = {name: page.locator(f'[data-field="{name}"]').inner_text() for name in ("tp", "fp", "fn", "tn", "ppv", "npv")}
    assert shown == {"tp": str(expected.tp), "fp": str(expected.fp), "fn": str(expected.fn), "tn": str(expected.tn),
                     "ppv": _pct(expected.ppv), "npv": _pct(expected.npv)}
    at_prevalence = operating_point(scores, labels, moved_to, prevalence=0.2)
    assert page.locator('[data-field="ppv_prev"]').inner_text() == _pct(at_prevalence.ppv_at_prevalence)
    assert page.locator('[data-field="npv_prev"]').inner_text() == _pct(at_prevalence.npv_at_prevalence)

    # On release the threshold went back to Python: the server-side figures follow.
    threshold_box = page.get_by_label("Threshold (type, or use the arrow keys)")
    page.wait_for_function(
        "([el, want]) => Math.abs(parseFloat(el.value) - want) < 1e-4",
        arg=[threshold_box.element_handle(), moved_to], timeout=20_000)
    page.get_by_text("Sensitivity: 95 % interval").first.wait_for()
    page.wait_for_timeout(500)
    metric_values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    boot = Bootstrap(np.asarray(scores, float), np.asarray(labels, int), samples=1000, seed=0)
    assert boot.sensitivity(moved_to).span() in metric_values and boot.specificity(moved_to).span() in metric_values
    svg.scroll_into_view_if_needed()
    screenshot(page, "dr_operating_point")
    # one precision for the threshold: the panel shows what the threshold box holds, to the same decimals
    assert page.locator('[data-field="threshold"]').inner_text() == f"{moved_to:.{THRESHOLD_DECIMALS}f}"
    assert threshold_box.input_value() == f"{moved_to:.{THRESHOLD_DECIMALS}f}"


def test_every_text_of_the_roc_lies_inside_its_svg(page, app_url, run_store, demo_root):
    """The axis titles once fell outside the SVG's viewBox and never showed: every text's box within the SVG's."""
    make_dr_run(run_store, demo_root / "eyepacs")
    page.goto(app_url + "/dr")
    svg = page.locator(".roc-root svg")
    svg.wait_for(timeout=90_000)
    svg.scroll_into_view_if_needed()
    outside = page.evaluate("""(svg) => {
        const box = svg.getBoundingClientRect(), out = [];
        for (const text of svg.querySelectorAll('text')) {
            if (!text.textContent.trim()) continue;
            const r = text.getBoundingClientRect();
            if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
                out.push(text.textContent);
        }
        return out;
    }""", svg.element_handle())
    assert outside == [], f"texts outside the ROC's SVG: {outside}"
    titles = [t for t in svg.locator("text").all_text_contents() if "rate" in t]
    assert "1 - specificity (false positive rate)" in titles and "sensitivity (true positive rate)" in titles
