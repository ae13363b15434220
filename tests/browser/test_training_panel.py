"""The training panel in a real browser: start a job, watch live curves grow, stop it."""


import pytest

from lib.jobs.folder.store import RunStore
from tests.browser.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser

CURVE_POINTS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.data && p.data.length && p.layout
      && p.layout.annotations && p.layout.annotations.some(a => a.text === 'loss'));
  // _fullData holds decoded arrays (plotly ships x / y as base64 typed arrays)
  return plots.length && plots[0]._fullData && plots[0]._fullData[0] ? plots[0]._fullData[0].x.length : 0;
}"""


def _set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def test_live_curves_and_stop(page, app_url, app_data, run_store):
    page.goto(app_url + "/lung2d")
    page.get_by_text("3. U-Net and training").wait_for(timeout=90_000)
    wait_idle(page)
    _set_number(page, "Epochs", 400)  # long enough to watch and stop
    _set_number(page, "Time budget in seconds (0: none)", 0)  # every one of them planned, none cut by a budget
    page.get_by_role("button", name="Start training").click()

    page.locator('[data-testid="stProgress"]').filter(has_text="/400 · batch").wait_for(timeout=120_000)
    page.wait_for_function(f"({CURVE_POINTS})() >= 2", timeout=120_000)
    first = page.evaluate(CURVE_POINTS)
    # the next epoch's points arrive without a reload (an epoch takes about 1 s on a fast CPU, 10 s on a slow one)
    page.wait_for_function(f"({CURVE_POINTS})() > {first}", timeout=120_000)
    later = page.evaluate(CURVE_POINTS)
    assert later > first, "the curves did not grow while the job ran"
    assert "images/s" in page.get_by_text("images/s").first.inner_text()
    assert "u=" in page.url  # the browser's owner token lives in the URL ...
    page.reload()  # ... so a reload (a new Streamlit session) finds the running job again
    page.locator('[data-testid="stProgress"]').filter(has_text="/400 · batch").wait_for(timeout=60_000)
    page.wait_for_function(f"({CURVE_POINTS})() >= {later}", timeout=60_000)
    # the panel's Stop, not Streamlit's own header button that stops a running script
    stop = page.get_by_test_id("stButton").get_by_role("button", name="Stop")
    stop.scroll_into_view_if_needed()
    screenshot(page, "training_panel_live")

    stop.click()
    page.get_by_text("This run was stopped early").wait_for(timeout=120_000)
    runs, _ = RunStore(app_data / "runs").list(task="lung2d")
    stopped = [r for r in runs if r.state == "stopped"]
    assert stopped and stopped[0].metrics.get("mean_slice_iou") is not None
    config = RunStore(app_data / "runs").load(stopped[0].run_id).config
    assert config["epochs"] == 400
    screenshot(page, "training_panel_stopped")


def test_lung_pages_render_overlays_and_3d(page, app_url, run_store, demo_root):
    from tests.helpers.runs import make_lung2d_run, make_lung3d_run

    make_lung2d_run(run_store, demo_root / "lungs")
    make_lung3d_run(run_store, demo_root / "lungs")
    page.goto(app_url + "/lung2d")
    page.get_by_text("5. Where is it right").wait_for(timeout=90_000)
    augmentation = page.get_by_text("2. Augmentation").first
    page.evaluate("(el) => el.scrollIntoView({block: 'start'})", augmentation.element_handle())
    page.wait_for_timeout(1000)
    pairs = page.get_by_text("original (left) and augmented (right)")
    pairs.nth(3).wait_for(timeout=60_000)
    assert pairs.count() == 4
    boxes = sorted((round(b["y"]), b["x"]) for b in (pairs.nth(i).bounding_box() for i in range(4)))
    assert boxes[0][0] == boxes[1][0] and boxes[2][0] == boxes[3][0] > boxes[0][0], boxes  # two pairs to a row
    screenshot(page, "lung2d_augmentation")
    page.get_by_text("5. Where is it right").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    screenshot(page, "lung2d_overlays")
    page.goto(app_url + "/lung3d")
    page.get_by_text("Slices in three planes").wait_for(timeout=90_000)
    page.get_by_text("Slices in three planes").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    screenshot(page, "lung3d_planes")
    page.get_by_text("In 3D: missed lung").scroll_into_view_if_needed()
    page.locator(".js-plotly-plot .gl-container canvas, .js-plotly-plot canvas").first.wait_for(timeout=30_000)
    page.wait_for_timeout(2000)
    screenshot(page, "lung3d_mesh")
