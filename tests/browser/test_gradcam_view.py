"""Grad-CAM in the browser: a tiny trained DR run, a misclassified photo, its heat map (screenshot in test-output/)."""

import pytest

from lib.jobs.job import run_job
from tests.browser.conftest import screenshot, wait_idle
from tests.lib.training.conftest import tiny_config

pytestmark = pytest.mark.browser


def test_the_heat_map_of_a_misclassified_photo(page, app_url, run_store, demo_root):
    run_dir = run_store.create(tiny_config("dr", demo_root, epochs=1, image_size=64), owner="shared", label="gradcam run")
    assert run_job(run_dir, echo=lambda line: None, poll_s=0.05)["state"] == "done"
    page.goto(app_url + "/dr")
    button = page.get_by_role("button", name="Show where the model looks (Grad-CAM)")
    button.wait_for(timeout=90_000)
    wait_idle(page)
    button.click()
    caption = page.get_by_text("Grad-CAM (score").first
    caption.wait_for(timeout=180_000)
    wait_idle(page)
    caption.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    screenshot(page, "dr_gradcam")
    assert page.get_by_text("the photo as the model saw it").first.is_visible()
    # another photo: the old heat map goes at once, "Computing ..." stands in its place until the new one is there.
    # At threshold 0 every non-referable photo is a false positive: photos enough to choose from.
    threshold = page.get_by_label("Threshold (type, or use the arrow keys)")
    threshold.fill("0")
    threshold.press("Enter")
    wait_idle(page)
    page.get_by_text("Grad-CAM (score").first.wait_for(timeout=180_000)
    wait_idle(page)
    chooser = page.get_by_label("A misclassified photo")
    chooser.scroll_into_view_if_needed()
    chooser.click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=10_000)
    assert options.count() >= 3
    options.last.click()  # the last false positive: never shown before, so computed now
    page.get_by_text("Computing where the model looks on").wait_for(timeout=30_000)
    page.get_by_text("Computing where the model looks on").scroll_into_view_if_needed()
    assert page.get_by_text("Grad-CAM (score").count() == 0, "the old heat map stayed while the new one was computed"
    screenshot(page, "dr_gradcam_computing")
    page.get_by_text("Grad-CAM (score").first.wait_for(timeout=180_000)
    assert page.get_by_text("Computing where the model looks on").count() == 0
