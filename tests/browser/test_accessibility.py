"""axe-core on every page of the app, signed in, with results shown, with presentation mode on and off, at the page's
full height (Streamlit scrolls inside its own container, and axe skips what that container clips): no critical or
serious WCAG 2.0 / 2.1 A or AA violation from the app's own elements. What comes from Streamlit's frame is listed,
each with its reason and its upstream issue, in tests/browser/axe_allow.json (docs/accessibility.md reports it).

axe-core is the copy that ``axe-playwright-python`` (requirements.txt) ships: nothing is downloaded at test time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lib.jobs.folder.store import RunStore
from tests.browser.conftest import class_folder, screenshot, serve, wait_idle
from tests.helpers.runs import make_dr_run, make_lung2d_run, make_lung3d_run

pytestmark = pytest.mark.browser

axe_package = pytest.importorskip("axe_playwright_python", reason="axe-playwright-python (requirements.txt) is missing")
AXE = Path(axe_package.__file__).with_name("axe.min.js")
ALLOW = json.loads((Path(__file__).with_name("axe_allow.json")).read_text())["allowed"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORDS = {"ada": "lecture-notes"}  # a lecturer: the Class page is hers too
# each page's address, and what shows once its results are drawn
PAGES = {"home": ("", "text=Data found"), "dr": ("dr", ".roc-root svg"), "lung2d": ("lung2d", "text=errors (IoU"),
         "lung3d": ("lung3d", "text=Show the data: The errors in 3D"), "class": ("classroom", "h1:has-text('Class')")}
TALLEST = 30_000  # px: a viewport as tall as the page, up to this


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_root):
    root = class_folder(tmp_path_factory, demo_root, "accessibility", PASSWORDS)
    store = RunStore(root / "runs")
    make_dr_run(store, demo_root / "eyepacs", owner="user:ada")
    make_lung2d_run(store, demo_root / "lungs", owner="user:ada")
    make_lung3d_run(store, demo_root / "lungs", owner="user:ada")
    with serve(root, DLMI_CLASS_FILE=str(root / "class.json")) as url:
        yield url


@pytest.fixture(scope="module")
def signed_in(chromium, site):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(site)
    page.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
    page.get_by_role("textbox", name="User name").fill("ada")
    page.get_by_role("textbox", name="Password").fill(PASSWORDS["ada"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as ada").wait_for(timeout=60_000)
    wait_idle(page)
    yield page
    context.close()


def _allowed(page, violation: dict, node: dict) -> bool:
    """Whether an allow-list entry names this rule and the node lies within the part of Streamlit's frame it names."""
    target = node.get("target", [])
    for entry in ALLOW:
        if entry["rule"] != violation["id"] or len(target) != 1:  # a node inside a shadow root is the app's own
            continue
        if page.evaluate("([sel, within]) => !!document.querySelector(sel)?.closest(within)", [target[0], entry["within"]]):
            return True
    return False


def _full_height(page) -> None:
    """The viewport as tall as Streamlit's scrolling container's content, so that axe sees every element."""
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
        return Math.max(main.scrollHeight, document.documentElement.scrollHeight);
    }""")
    page.set_viewport_size({"width": 1400, "height": min(TALLEST, int(height) + 50)})
    page.wait_for_timeout(600)
    wait_idle(page)


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                           TAGS)
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in ("critical", "serious"):
            continue
        for node in violation["nodes"]:
            if not _allowed(page, violation, node):
                found.append(f"{violation['impact']} {violation['id']}: {node['target']} {node['html'][:160]}"
                             f" ({node.get('failureSummary', '').splitlines()[-1] if node.get('failureSummary') else ''})")
    return found


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_violation_from_the_app(signed_in, site, name):
    page = signed_in
    path, shown = PAGES[name]
    problems = {}
    for present in (False, True):
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.goto(f"{site}/{path}" + ("?present=1" if present else ""))
        page.locator(shown).first.wait_for(timeout=90_000)
        wait_idle(page)
        _full_height(page)
        titles = page.title()
        found = _violations(page)
        if found:
            problems["presentation mode" if present else "normal"] = found
            screenshot(page, f"axe_{name}_{'present' if present else 'normal'}")
    assert titles and (name == "home" or titles != "Deep learning in medical imaging"), "each page has its own title"
    assert not problems, f"{name}: {sum(map(len, problems.values()))} critical/serious violation(s):\n" + "\n".join(
        f"[{mode}] {line}" for mode, lines in problems.items() for line in lines[:40])


_CLIPPED = """() => {
    const out = [];
    const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
    if (main.scrollWidth > main.clientWidth + 1) out.push(`the page scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`);
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
        const box = plot.querySelector('.main-svg').getBoundingClientRect();
        for (const el of plot.querySelectorAll('.gtitle, .legendtext, .gl-container, .xtitle, .ytitle')) {
            const r = el.getBoundingClientRect();
            if (r.width && (r.left < box.left - 1 || r.right > box.right + 1))
                out.push(`${el.getAttribute('class')} '${(el.textContent || '').slice(0, 50)}' ${r.left.toFixed(0)}-${r.right.toFixed(0)} outside ${box.left.toFixed(0)}-${box.right.toFixed(0)}`);
        }
    }
    return out;
}"""


def test_reflow_at_320_css_pixels(signed_in, site):
    """WCAG 1.4.10: at 320 CSS px wide (a 1280 px window at 400 % zoom; 200 % zoom is 640 px) nothing scrolls sideways
    and no chart's title, legend or 3D scene runs past the chart."""
    page = signed_in
    clipped = {}
    try:
        for name in ("dr", "lung2d", "lung3d"):
            path, shown = PAGES[name]
            page.set_viewport_size({"width": 320, "height": 900})
            page.goto(f"{site}/{path}")
            page.locator(shown).first.wait_for(state="attached", timeout=90_000)
            wait_idle(page)
            page.wait_for_timeout(500)
            found = page.evaluate(_CLIPPED)
            if found:
                clipped[name] = found
                screenshot(page, f"reflow_{name}")
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})
    assert not clipped, "\n".join(f"{name}: {line}" for name, lines in clipped.items() for line in lines[:20])
