"""A class in a real browser: the sign-in form, then the lecturer's Class page stopping a student's run."""

import pytest

from lib.jobs.folder import files
from lib.jobs.folder.store import RunStore
from lib.tasks import config_for
from tests.browser.conftest import class_folder, screenshot, serve, wait_idle
from tests.helpers.runs import make_running_run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def class_app(tmp_path_factory, demo_root):
    root = class_folder(tmp_path_factory, demo_root, "class-app", {"ada": "lecture-notes", "bob": "student-pass"})
    with serve(root, DLMI_CLASS_FILE=str(root / "class.json")) as url:
        yield url, root


def _sign_in(page, url, name, password):
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)


def test_sign_in_and_the_lecturer_stops_a_students_run(page, class_app, demo_root):
    url, root = class_app
    page.goto(url)
    page.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
    screenshot(page, "class_sign_in")
    _sign_in(page, url, "bob", "not-the-password")
    assert page.get_by_text("The user name or the password is not right.").is_visible()

    config = config_for("lung2d", preset="quick", data=str(demo_root / "lungs"), image_size=64)
    running = make_running_run(RunStore(root / "runs"), config, "user:bob", label="bob's run")
    _sign_in(page, url, "ada", "lecture-notes")
    assert "?u=" not in page.url
    page.get_by_text("Data found").wait_for(timeout=60_000)  # Home, with the whole navigation
    assert page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Lung 2D").is_visible()
    screenshot(page, "class_signed_in")
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Class").click()
    page.get_by_text("bob · Lung 2D · training").wait_for(timeout=60_000)
    screenshot(page, "class_page")
    page.get_by_role("button", name="Stop").click()
    page.wait_for_timeout(1500)
    assert (running / files.STOP).exists()
