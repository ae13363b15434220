"""In front of a class: the operating point section fits one 1600x1000 projector screen."""

import pytest

from tests.browser.conftest import screenshot, wait_idle
from tests.helpers.runs import make_dr_run

pytestmark = pytest.mark.browser


def test_the_operating_point_fits_one_projector_screen(chromium, app_url, run_store, demo_root):
    make_dr_run(run_store, demo_root / "eyepacs")
    context = chromium.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    try:
        page.goto(app_url + "/dr")
        page.locator(".roc-root svg").wait_for(timeout=90_000)
        wait_idle(page)
        top = page.get_by_text("6. Choose the operating point").first
        bottom = page.get_by_text("Specificity: 95 % interval").first
        top.scroll_into_view_if_needed()
        page.evaluate("(el) => el.scrollIntoView({block: 'start'})", top.element_handle())
        page.wait_for_timeout(800)
        first, last = top.bounding_box(), bottom.bounding_box()
        svg, panel = page.locator(".roc-root svg").bounding_box(), page.locator('[data-field="tn"]').bounding_box()
        values = page.locator('[data-testid="stMetricValue"]').last.bounding_box()
        screenshot(page, "dr_operating_point_projector")
        assert values["y"] + values["height"] - first["y"] <= 1000, "the section needs scrolling on a 1600x1000 screen"
        for box in (svg, panel, last):
            assert 0 <= box["y"] and box["y"] + box["height"] <= 1000

        caption = page.get_by_text("Youden's J maximises").first
        assert caption.is_visible()
        page.get_by_text("Presentation mode").click()
        wait_idle(page)
        page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '20px'", timeout=20_000)
        assert not caption.is_visible()  # the small print is hidden for the projector
        page.evaluate("(el) => el.scrollIntoView({block: 'start'})", top.element_handle())
        page.wait_for_timeout(800)
        screenshot(page, "dr_operating_point_presentation")
    finally:
        context.close()
