"""The class thinks together, in a real browser at 1600x1000: a lecturer opens a poll on a published DR run, three
students (separate browsers) each choose an operating point and submit it with a reason, and the lecturer's view
shows the three points, their median and the names; on the projector, no names, and at 1280x720 all on one screen; a
fourth student answers from a phone, where a swipe cannot change the answer; closing reveals Youden's point."""

import pytest

from lib.jobs.folder.store import RunStore
from tests.browser.conftest import class_folder, screenshot, serve, swipe_up, wait_idle
from tests.helpers.runs import make_dr_run

pytestmark = pytest.mark.browser

PASSWORDS = {"ada": "lecture-notes", "Sam": "pass-sam-1", "Noor": "pass-noor-2", "Li": "pass-li-3", "Ana": "pass-ana-4"}
CHOICES = {"Sam": "Snap to Youden's J", "Noor": "Screening: sensitivity ≥ 95 %", "Li": "Rule in: specificity ≥ 95 %"}


@pytest.fixture(scope="module")
def room(tmp_path_factory, demo_root):
    root = class_folder(tmp_path_factory, demo_root, "class-poll", PASSWORDS)
    store = RunStore(root / "runs")
    run_dir = make_dr_run(store, demo_root / "eyepacs", owner="user:ada")
    store.publish(run_dir.name, by="ada")
    for i, (name, rate) in enumerate((("Sam", 0.1), ("Noor", 0.001), ("Li", 0.0001))):  # shared with the class
        store.share(make_dr_run(store, demo_root / "eyepacs", seed=i + 1, owner=f"user:{name}", learning_rate=rate).name,
                    owner=f"user:{name}")
    with serve(root, DLMI_CLASS_FILE=str(root / "class.json")) as url:
        yield url


def _signed_in(chromium, url, name, path, *, phone=False):
    context = (chromium.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                    device_scale_factor=2) if phone else
               chromium.new_context(viewport={"width": 1600, "height": 1000}))
    page = context.new_page()
    page.goto(f"{url}/{path}")
    page.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()
    # on a phone the sidebar (which says who is signed in) starts closed
    page.get_by_role("textbox", name="Password").wait_for(state="detached", timeout=60_000)
    if not phone:
        page.get_by_text(f"Signed in as {name}").wait_for(timeout=60_000)
    wait_idle(page)
    return page


def _answer_from_a_phone(chromium, url) -> float:
    """A student answers on a 390x844 touch screen: a swipe over the ROC scrolls the page and leaves the threshold
    (and the Submit button's value) as it was; what is submitted is the threshold the student saw."""
    page = _signed_in(chromium, url, "Ana", "dr", phone=True)
    try:
        page.get_by_text("Class poll").first.wait_for(timeout=90_000)
        follow = page.get_by_role("button", name="Open the poll's run")
        if follow.count():
            follow.click()
        submit = page.get_by_role("button", name="Submit threshold")
        submit.wait_for(timeout=60_000)
        wait_idle(page)
        shown = submit.inner_text()
        svg = page.locator(".roc-root svg")
        svg.scroll_into_view_if_needed()
        box = svg.bounding_box()
        x, y = box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6  # on the curve's area, off the handle
        swipe_up(page, x, y)
        assert submit.inner_text() == shown, "a swipe over the curve changed the answer"
        target = submit.bounding_box()
        assert target["height"] >= 24 and target["width"] >= 24
        submit.scroll_into_view_if_needed()
        submit.tap()
        said = page.get_by_text("Submitted: threshold")
        said.wait_for(timeout=30_000)
        threshold = shown.removeprefix("Submit threshold ").strip()
        assert said.inner_text().startswith(f"Submitted: threshold {threshold}:")
        screenshot(page, "class_poll_phone")
        return float(threshold)
    finally:
        page.context.close()


def _fits_a_small_projector(page) -> None:
    """At 1280x720 (a common projector) the open poll, its curve, the class's points and every answer, is on one
    screen below Streamlit's header, with no label cut short."""
    page.set_viewport_size({"width": 1280, "height": 720})
    wait_idle(page)
    poll = (page.locator('[data-testid="stVerticalBlock"]', has=page.locator(".roc-root"))
            .filter(has=page.locator('[data-testid="stDataFrame"]')).last)  # the innermost: the poll's bordered box
    header = page.locator('[data-testid="stHeader"]').bounding_box()
    page.evaluate("(el) => el.scrollIntoView({block: 'start'})", poll.element_handle())
    box = poll.bounding_box()
    page.mouse.move(box["x"] + 20, header["height"] + 20)  # over the page, not the sidebar: the wheel scrolls the page
    page.mouse.wheel(0, -(header["height"] + 4))
    page.wait_for_timeout(800)
    screenshot(page, "class_poll_projector_1280x720")
    below_header = header["y"] + header["height"]
    boxes = {"poll": poll.bounding_box(), "answers": page.locator('[data-testid="stDataFrame"]').last.bounding_box(),
             "curve": page.locator(".roc-root svg").last.bounding_box(),
             "close": page.get_by_role("button", name="Close the poll").bounding_box()}
    off = [name for name, box in boxes.items() if not (below_header - 1 <= box["y"] and box["y"] + box["height"] <= 720)]
    assert off == [], f"off a 1280x720 screen: {off} ({boxes})"
    cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] button p, '
        + '[data-testid="stMain"] label p')].filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
        .map(p => p.textContent)""")
    assert cut == [], f"labels cut short at 1280x720: {cut}"


def test_a_poll_with_a_lecturer_and_three_students(chromium, room):
    lecturer = _signed_in(chromium, room, "ada", "classroom")
    lecturer.get_by_role("heading", name="Class polls").wait_for(timeout=60_000)
    lecturer.get_by_role("button", name="Open the poll").click()
    lecturer.get_by_text("Poll open: students see it on the DR page").wait_for(timeout=30_000)

    students = {}
    for name, preset in CHOICES.items():
        page = _signed_in(chromium, room, name, "dr")
        page.get_by_text("Class poll").first.wait_for(timeout=90_000)
        page.get_by_role("button", name="Open the poll's run").click()  # each has a run of their own, shown first
        page.get_by_role("button", name="Submit threshold").wait_for(timeout=60_000)
        wait_idle(page)
        page.get_by_role("button", name=preset).click()
        wait_idle(page)
        page.get_by_label("Why there?", exact=False).fill(f"{name}'s reason: <i>not html</i>")
        page.get_by_label("Why there?", exact=False).press("Enter")
        wait_idle(page)
        # the answer box sits beside the curve and its panel (the panel beside the curve), not below them
        submit, roc = page.get_by_role("button", name="Submit threshold").bounding_box(), page.locator(".roc-root").bounding_box()
        assert submit["x"] >= roc["x"] + roc["width"] and submit["y"] < roc["y"] + roc["height"], (submit, roc)
        curve, panel = page.locator(".roc-root svg").bounding_box(), page.locator(".roc-root .panel").bounding_box()
        assert panel["x"] >= curve["x"] + curve["width"] and panel["y"] < curve["y"] + curve["height"], (curve, panel)
        if name == "Li":  # by keyboard: focus Submit, Enter; after the page reruns the focus is still on Submit
            page.get_by_role("button", name="Submit threshold").focus()
            page.keyboard.press("Enter")
        else:
            page.get_by_role("button", name="Submit threshold").click()
        page.get_by_text("Submitted: threshold").wait_for(timeout=30_000)
        if name == "Li":
            wait_idle(page)
            page.wait_for_function("() => (document.activeElement.textContent || '').trim().startsWith('Submit threshold')",
                                   timeout=10_000)
        students[name] = page
    screenshot(students["Noor"], "class_poll_student")

    # the lecturer's live view: three points and their median on the ROC, every name with its reason
    lecturer.locator(".roc-root .class-point").nth(2).wait_for(timeout=15_000)
    assert lecturer.locator(".roc-root .class-point").count() == 3
    assert lecturer.locator(".roc-root .class-median").count() == 1
    # nothing of the answer while the poll is open: no Youden point, no preset, the handle a ring on the median
    assert not lecturer.locator(".roc-root .youden").first.is_visible()
    assert lecturer.locator(".roc-root .mark").count() == 0
    assert lecturer.locator(".roc-root .handle.ring").count() == 1
    lecturer.get_by_text("The class's median").wait_for(timeout=10_000)
    table = lecturer.locator('[data-testid="stDataFrame"]').last
    table.scroll_into_view_if_needed()
    screenshot(lecturer, "class_poll_lecturer")
    # the projector: the same points, no names
    lecturer.get_by_text("Presentation mode", exact=True).click()
    wait_idle(lecturer)
    lecturer.locator(".roc-root.present").first.wait_for(timeout=20_000)
    lecturer.locator(".roc-root .class-point").nth(2).wait_for(timeout=15_000)
    _fits_a_small_projector(lecturer)
    screenshot(lecturer, "class_poll_projector")
    lecturer.set_viewport_size({"width": 1600, "height": 1000})
    _answer_from_a_phone(chromium, room)  # a fourth answer, from a phone
    lecturer.locator(".roc-root .class-point").nth(3).wait_for(timeout=15_000)
    lecturer.get_by_text("Presentation mode", exact=True).click()
    wait_idle(lecturer)
    lecturer.get_by_text("On closing, show Youden's point").click()
    wait_idle(lecturer)
    lecturer.get_by_role("button", name="Close the poll").click()
    lecturer.get_by_text("Youden's J:", exact=False).first.wait_for(timeout=30_000)
    lecturer.locator(".roc-root .mark").first.wait_for(state="attached", timeout=15_000)  # the revealed rule-out point
    screenshot(lecturer, "class_poll_revealed")

    # the class's shared runs as one experiment: three points, one click opens a run read-only
    heading = lecturer.get_by_role("heading", name="The class's runs as one experiment")
    heading.scroll_into_view_if_needed()
    chart = lecturer.locator('[data-testid="stPlotlyChart"]').last
    chart.locator(".scatterlayer .point").nth(2).wait_for(timeout=30_000)
    assert chart.locator(".scatterlayer .point").count() == 3
    chart.scroll_into_view_if_needed()  # the heading on screen can leave the chart below the fold
    box = chart.locator(".scatterlayer .point").first.bounding_box()
    lecturer.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lecturer.get_by_text("(read-only)").wait_for(timeout=30_000)
    lecturer.get_by_text("(read-only)").scroll_into_view_if_needed()
    screenshot(lecturer, "class_experiment")
    for page in [lecturer, *students.values()]:
        page.context.close()
