"""Grad-CAM in the browser: a tiny trained DR run, a misclassified photo, its heat map (screenshot in test-output/)."""

import pytest

from lib.worker import run_job
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
