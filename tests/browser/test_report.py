"""The student's report opens on its own in chromium: every section, every figure drawn, every image loaded."""

import pytest

from lib.classroom.answers import AnswerBook
from lib.report import build_report
from lib.jobs.folder.store import RunStore
from tests.browser.conftest import screenshot
from tests.helpers.runs import make_dr_run, make_lung2d_run, make_lung3d_run

pytestmark = pytest.mark.browser


def test_the_report_opens_offline_with_its_sections_and_figures(chromium, tmp_path, demo_root):
    store = RunStore(tmp_path / "runs")
    make_dr_run(store, demo_root / "eyepacs", owner="user:bob")
    make_lung2d_run(store, demo_root / "lungs", owner="user:bob")
    for fraction in (0.3, 1.0):
        make_lung3d_run(store, demo_root / "lungs", fraction=fraction, owner="user:bob")
    AnswerBook(store.root).save("user:bob", "bob", "auc", "A ranking measure")
    out = tmp_path / "report.html"
    out.write_text(build_report(store, owner="user:bob", name="bob"), encoding="utf-8")

    context = chromium.new_context(viewport={"width": 1200, "height": 1000}, offline=True)  # nothing from the network
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(out.as_uri())
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=30_000)
        assert page.locator("h2").all_inner_texts() == ["DR referral", "Lung 2D", "Lung 3D", "Your answers"]
        # curves of 4 runs, DR's ROC, the 2D histogram, two 3D per-slice charts, the label-fraction experiment
        assert page.locator(".js-plotly-plot").count() == 4 + 1 + 1 + 2 + 1
        assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert page.locator("img").count() == 3
        assert page.get_by_text("A ranking measure").is_visible()
        assert errors == []
        page.get_by_text("Lung 3D").first.scroll_into_view_if_needed()
        screenshot(page, "report_lung3d")
    finally:
        context.close()
