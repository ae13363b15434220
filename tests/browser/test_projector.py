"""In front of a class: with Presentation mode on, the operating point section fits one projector screen below
Streamlit's own header, at 1600x1000 and at 1280x720 (a common projector), with no label cut short, and the ROC grows
with the mode."""

import pytest

from tests.browser.conftest import screenshot, wait_idle
from tests.helpers.runs import make_dr_run

pytestmark = pytest.mark.browser

# The smallest text of the ROC as drawn, in screen pixels: its font size (in the SVG's units) times the SVG's scale.
_SMALLEST_TEXT = """(svg) => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return Math.min(...[...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
        .map(t => parseFloat(getComputedStyle(t).fontSize) * scale));
}"""


def _section(page) -> dict:
    """Scroll the section's title to just below Streamlit's header; the boxes that must then be on screen."""
    header = page.locator('[data-testid="stHeader"]').bounding_box()
    top = page.get_by_text("6. Choose the operating point").first
    page.evaluate("(el) => el.scrollIntoView({block: 'start'})", top.element_handle())
    page.mouse.wheel(0, -(header["height"] + 4))
    page.wait_for_timeout(800)
    return {"header": page.locator('[data-testid="stHeader"]').bounding_box(), "title": top.bounding_box(),
            "presets": page.get_by_role("button", name="Youden's J").bounding_box(),
            "roc": page.locator(".roc-root svg").bounding_box(),
            "panel": page.locator('[data-field="tn"]').bounding_box(),
            "threshold box": page.get_by_label("Threshold (type, or use the arrow keys)").bounding_box(),
            "intervals": page.locator('[data-testid="stMetricValue"]').last.bounding_box()}


def _off_screen(boxes: dict, height: int) -> list[str]:
    below_header = boxes["header"]["y"] + boxes["header"]["height"]
    return [name for name, box in boxes.items() if name != "header"
            and not (below_header - 1 <= box["y"] and box["y"] + box["height"] <= height)]


# Labels whose text is wider than the box that shows it (Streamlit cuts them with "..."): buttons and checkboxes.
_CUT_LABELS = """() => [...document.querySelectorAll('[data-testid="stMain"] button p, [data-testid="stMain"] label p')]
    .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1).map(p => p.textContent)"""


@pytest.mark.parametrize("width, height", [(1600, 1000), (1280, 720)])
def test_the_operating_point_fits_one_projector_screen(chromium, app_url, run_store, demo_root, width, height):
    if not run_store.list()[0]:
        make_dr_run(run_store, demo_root / "eyepacs")
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    failed = []  # every request the page made that the server refused
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400
            else None)
    try:
        page.goto(app_url + "/dr")  # a page opened by its own address, as from a slide's link
        page.locator(".roc-root svg").wait_for(timeout=90_000)
        wait_idle(page)
        # without server.py's hint the frontend first probes /dr/_stcore/health and /dr/_stcore/host-config (404s)
        assert failed == [], failed
        caption = page.get_by_text("Youden's J maximises").first
        assert caption.is_visible()
        plain_width = page.locator(".roc-root svg").bounding_box()["width"]
        plain_text = page.evaluate(_SMALLEST_TEXT, page.locator(".roc-root svg").element_handle())
        screenshot(page, "dr_operating_point_projector")

        page.get_by_text("Presentation mode", exact=True).click()
        page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '20px'", timeout=20_000)
        page.locator(".roc-root.present").wait_for(timeout=20_000)
        wait_idle(page)
        assert not caption.is_visible()  # the small print is hidden for the projector
        boxes = _section(page)
        screenshot(page, f"dr_operating_point_presentation_{width}x{height}")
        off = _off_screen(boxes, height)
        assert off == [], f"with the mode on, off a {width}x{height} screen: {off}"
        assert page.evaluate(_CUT_LABELS) == []
        svg = page.locator(".roc-root svg")
        if height >= 1000:  # a large screen: a larger curve with larger text; a small one keeps what fits
            assert svg.bounding_box()["width"] > plain_width * 1.15, "the ROC does not grow with the mode"
            smallest = page.evaluate(_SMALLEST_TEXT, svg.element_handle())
            assert smallest >= 18 > plain_text, f"the ROC's smallest text is {smallest:.1f} px (plain {plain_text:.1f})"

        page.get_by_text("Presentation mode", exact=True).click()
        page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize !== '20px'", timeout=20_000)
        page.wait_for_function("() => !document.querySelector('.roc-root.present')", timeout=20_000)
        wait_idle(page)
        assert caption.is_visible()
        assert abs(page.locator(".roc-root svg").bounding_box()["width"] - plain_width) < 2
    finally:
        context.close()
