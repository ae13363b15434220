"""Each page's results say what to notice in the run's own numbers (screenshots in test-output/)."""

from tests.browser.conftest import screenshot, wait_idle


def test_each_page_reads_its_results_aloud(page, app_url, run_store, demo_root):
    from tests.helpers.runs import make_dr_run, make_lung2d_run, make_lung3d_run

    make_dr_run(run_store, demo_root / "eyepacs")
    make_lung2d_run(run_store, demo_root / "lungs")
    make_lung3d_run(run_store, demo_root / "lungs")
    for path, anchor, expected in (("/dr", "What to notice. AUC", "95 % interval"),
                                   ("/lung2d", "What to notice. Mean IoU", "worst"),
                                   ("/lung3d", "What to notice. Labelling", "test IoU")):
        page.goto(app_url + path)
        shown = page.get_by_text(anchor).first
        shown.wait_for(timeout=90_000)
        wait_idle(page)
        shown.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        assert expected in shown.inner_text()
        assert page.get_by_text("Think about it:").count() >= 1
        screenshot(page, f"notice_{path.strip('/')}")
    # the curves of a run are read too (training against validation)
    assert page.get_by_text("What to notice. After").count() >= 1
