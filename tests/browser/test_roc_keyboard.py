"""The ROC operating point by keyboard, screen reader and touch, in a real browser: each key moves the point the way
the slider's value (the threshold) says, aria-valuetext reads lib's figures, quick presses end where the threshold box
is, and on a phone a swipe over the curve scrolls the page without moving the point."""

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lib.metrics.roc import THRESHOLD_DECIMALS, operating_point, roc, youden_index
from tests.browser.conftest import screenshot, swipe_up, wait_idle
from tests.helpers.runs import make_dr_run

pytestmark = pytest.mark.browser

PAD, SIZE = 56, 400  # the component's SVG geometry (ui/components/roc_point.js)
BOX = "Threshold (type, or use the arrow keys)"


def _whole(value: float) -> str:
    return f"{int(np.floor(100 * value + 0.5))} %"


def _valuetext(scores, labels, threshold: float) -> str:
    point = operating_point(scores, labels, threshold)
    return (f"threshold {threshold:.{THRESHOLD_DECIMALS}f}: sensitivity {_whole(point.sensitivity)}, "
            f"specificity {_whole(point.specificity)}")


def _handle_vertex(page, curve) -> int:
    cx = float(page.locator(".roc-root .handle").get_attribute("cx"))
    cy = float(page.locator(".roc-root .handle").get_attribute("cy"))
    fpr, tpr = (cx - PAD) / SIZE, 1 - (cy - PAD) / SIZE
    return int(np.argmin(np.abs(curve.fpr - fpr) + np.abs(curve.tpr - tpr)))


def _box_value(page) -> float:
    return float(page.get_by_label(BOX).input_value())


@pytest.fixture(scope="module")
def dr_run(run_store, demo_root):
    run_dir = make_dr_run(run_store, demo_root / "eyepacs")
    predictions = np.load(run_dir / "predictions.npz")
    return predictions["scores"].astype(float), predictions["labels"].astype(int)


def test_each_key_moves_the_point_and_the_value_reads_right(page, app_url, dr_run):
    scores, labels = dr_run
    curve = roc(scores, labels)
    last, tenth = len(curve.thresholds) - 1, max(1, round(len(curve.thresholds) / 10))
    page.goto(app_url + "/dr")
    svg = page.locator(".roc-root svg")
    svg.wait_for(timeout=90_000)
    wait_idle(page)
    svg.scroll_into_view_if_needed()
    assert svg.get_attribute("role") == "slider"
    assert float(svg.get_attribute("aria-valuemin")) == pytest.approx(curve.thresholds[last], abs=1e-4)
    assert float(svg.get_attribute("aria-valuemax")) == pytest.approx(curve.thresholds[1], abs=1e-4)
    vertex = youden_index(curve)
    assert svg.get_attribute("aria-valuetext") == _valuetext(scores, labels, float(curve.thresholds[vertex]))
    svg.focus()
    # The value is the threshold: ArrowRight / Up raise it (towards vertex 1), Left / Down lower it; PageUp / PageDown
    # by a tenth of the vertices; Home the lowest threshold, End the highest.
    steps = [("ArrowRight", -1), ("ArrowUp", -1), ("ArrowLeft", +1), ("ArrowDown", +1), ("PageUp", -tenth),
             ("PageDown", +tenth), ("Home", None), ("End", None)]
    for key, step in steps:
        before = float(svg.get_attribute("aria-valuenow"))
        page.keyboard.press(key)
        vertex = {"Home": last, "End": 1}.get(key, vertex + (step or 0))
        vertex = min(last, max(1, vertex))
        threshold = float(curve.thresholds[vertex])
        wait_idle(page)
        assert _handle_vertex(page, curve) == vertex, key
        assert svg.get_attribute("aria-valuetext") == _valuetext(scores, labels, threshold), key
        now = float(svg.get_attribute("aria-valuenow"))
        assert now == pytest.approx(threshold, abs=1e-4)
        if key in ("ArrowRight", "ArrowUp", "PageUp", "End"):
            assert now > before, f"{key} should raise the announced threshold"
        elif key in ("ArrowLeft", "ArrowDown", "PageDown", "Home"):
            assert now < before, f"{key} should lower the announced threshold"
        # the threshold box follows once the page's rerun has come back (later than wait_idle on a loaded machine)
        try:
            page.wait_for_function("([el, want]) => Math.abs(parseFloat(el.value) - want) < 1e-4",
                                   arg=[page.get_by_label(BOX).element_handle(), threshold], timeout=20_000)
        except PlaywrightTimeout:  # the assertion below says what the box shows instead
            pass
        assert _box_value(page) == pytest.approx(threshold, abs=1e-4), f"{key}: the threshold box follows"
        # focus kept on the slider through the rerun
        assert svg.evaluate("el => el.getRootNode().activeElement === el"), f"{key}: focus lost"
    live = page.locator(".roc-root .live")
    assert live.get_attribute("aria-live") == "polite"
    point = operating_point(scores, labels, float(curve.thresholds[1]))
    assert f"Sensitivity {100 * point.sensitivity:.1f}%" in live.inner_text()
    assert f"{point.tp} true positives, {point.fp} false positives" in live.inner_text()

    # Three quick presses inside one rerun: the handle ends on the vertex the threshold box shows.
    page.keyboard.press("Home")
    wait_idle(page)
    for _ in range(3):
        page.keyboard.press("ArrowRight", delay=0)
    page.wait_for_function("([el, want]) => Math.abs(parseFloat(el.value) - want) < 1e-4",
                           arg=[page.get_by_label(BOX).element_handle(), float(curve.thresholds[last - 3])], timeout=20_000)
    wait_idle(page)
    box = _box_value(page)
    assert box == pytest.approx(float(curve.thresholds[last - 3]), abs=1e-4)
    assert float(curve.thresholds[_handle_vertex(page, curve)]) == pytest.approx(box, abs=1e-4)
    screenshot(page, "roc_keyboard")


def test_a_swipe_over_the_roc_on_a_phone_scrolls_and_leaves_the_threshold(chromium, app_url, dr_run):
    scores, labels = dr_run
    curve = roc(scores, labels)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                   device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(app_url + "/dr")
        svg = page.locator(".roc-root svg")
        svg.wait_for(timeout=90_000)
        wait_idle(page)
        svg.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        grab = page.locator(".roc-root .grab").bounding_box()
        assert grab["width"] >= 44 and grab["height"] >= 44, f"the handle's touch target is {grab['width']:.0f} px"
        before = _box_value(page), svg.get_attribute("aria-valuenow")
        box = svg.bounding_box()
        scale = box["width"] / (SIZE + PAD + 20)
        # a point on the curve far from the handle
        handle = _handle_vertex(page, curve)
        far = int(np.argmax(np.abs(np.arange(len(curve.fpr)) - handle)))
        x = box["x"] + (PAD + curve.fpr[far] * SIZE) * scale
        y = box["y"] + (PAD + (1 - curve.tpr[far]) * SIZE) * scale
        scrolled = "() => [...document.querySelectorAll('*')].reduce((s, e) => s + e.scrollTop, 0) + window.scrollY"
        top = page.evaluate(scrolled)
        swipe_up(page, x, y)
        assert page.evaluate(scrolled) != top, "the swipe did not scroll the page"
        # a tap on the curve, away from the handle
        box = svg.bounding_box()
        page.touchscreen.tap(box["x"] + (PAD + curve.fpr[far] * SIZE) * scale,
                             box["y"] + (PAD + (1 - curve.tpr[far]) * SIZE) * scale)
        page.wait_for_timeout(800)
        wait_idle(page)
        assert (_box_value(page), svg.get_attribute("aria-valuenow")) == before
        screenshot(page, "roc_phone")
    finally:
        context.close()
