"""The class in the room, at 1600x1000: the lecturer adds students from a roster CSV and downloads their passwords;
a student signs in with one, starts a Lung 2D run and reloads (same page, same user, the run's panel back, no
sign-in); a second student signs out for good; a reset password ends a session."""

import csv

import pytest

from lib.access.sessions import COOKIE
from tests.browser.conftest import class_folder, screenshot, serve, wait_idle

pytestmark = pytest.mark.browser

ROSTER = "name,role\nCarol O'Neil,student\nDaniel Müller,\n"


@pytest.fixture(scope="module")
def room(tmp_path_factory, demo_root):
    root = class_folder(tmp_path_factory, demo_root, "class-room", {"ada": "lecture-notes"})
    with serve(root, DLMI_CLASS_FILE=str(root / "class.json")) as url:
        yield url, root


def _browser(chromium):
    return chromium.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True).new_page()


def _sign_in(page, url, name, password, path=""):
    page.goto(f"{url}/{path}")
    page.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {name}").wait_for(timeout=60_000)
    wait_idle(page)
    # the page trades its one-time ticket for the session cookie in the background: a reload before that lands would
    # find no cookie (a person takes longer than a test's next line)
    for _ in range(150):
        if any(c["name"] == COOKIE for c in page.context.cookies()):
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError(f"{name}: no session cookie 30 s after signing in")


def _wait(page, locator, name: str, timeout: int) -> None:
    """Wait for ``locator``; on a timeout, keep a screenshot of what the page showed instead."""
    try:
        locator.wait_for(timeout=timeout)
    except Exception:
        screenshot(page, f"class_room_failed_{name}")
        raise


def _signed_in_as(page, name):
    return page.get_by_text(f"Signed in as {name}").is_visible()


def test_a_roster_a_reload_a_reset_and_a_sign_out(chromium, room, tmp_path):
    url, root = room
    lecturer = _browser(chromium)
    _sign_in(lecturer, url, "ada", "lecture-notes", "classroom")
    lecturer.get_by_role("heading", name="Students and passwords").wait_for(timeout=60_000)
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    lecturer.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(tmp_path / "roster.csv"))
    wait_idle(lecturer)
    lecturer.get_by_role("button", name="Add them with new passwords").click()
    lecturer.get_by_text("2 new user(s) added").wait_for(timeout=30_000)
    with lecturer.expect_download() as download:
        lecturer.get_by_role("button", name="Download the new passwords (once)").click()
    download.value.save_as(tmp_path / "passwords.csv")
    passwords = {row["name"]: row["password"] for row in csv.DictReader((tmp_path / "passwords.csv").open(encoding="utf-8"))}
    assert set(passwords) == {"Carol O'Neil", "Daniel Müller"}
    wait_idle(lecturer)
    assert lecturer.get_by_role("button", name="Download the new passwords (once)").count() == 0  # once
    screenshot(lecturer, "class_room_roster")

    carol = _browser(chromium)
    _sign_in(carol, url, "Carol O'Neil", passwords["Carol O'Neil"], "lung2d")  # a link to a page, before signing in
    assert carol.url.rstrip("/").endswith("/lung2d") and "u=" not in carol.url
    carol.get_by_text("3. U-Net and training").wait_for(timeout=90_000)
    epochs = carol.get_by_label("Epochs", exact=True)
    epochs.fill("50")  # the most this class allows: the run outlasts the reloads below
    epochs.press("Enter")
    wait_idle(carol)
    carol.get_by_role("button", name="Start training").click()
    _wait(carol, carol.locator('[data-testid="stProgress"]').filter(has_text="Epoch "), "started", 120_000)

    carol.reload()  # a new Streamlit session: the cookie keeps her signed in, the address keeps her page
    _wait(carol, carol.locator('[data-testid="stProgress"]').filter(has_text="Epoch "), "reload", 60_000)
    assert carol.url.rstrip("/").endswith("/lung2d")
    assert _signed_in_as(carol, "Carol O'Neil")
    assert carol.get_by_role("textbox", name="Password").count() == 0
    assert carol.get_by_text("Page not found").count() == 0
    screenshot(carol, "class_room_student_after_reload")

    daniel = _browser(chromium)
    _sign_in(daniel, url, "Daniel Müller", passwords["Daniel Müller"], "dr")
    daniel.reload()
    daniel.get_by_text("Signed in as Daniel Müller").wait_for(timeout=60_000)
    assert daniel.url.rstrip("/").endswith("/dr")
    daniel.get_by_role("button", name="Sign out").click()
    daniel.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
    wait_idle(daniel)
    daniel.reload()  # signed out for good: the cookie is gone and its session ended
    daniel.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
    assert not _signed_in_as(daniel, "Daniel Müller")

    lecturer.reload()  # the projector's reload: still the lecturer, still the Class page
    lecturer.get_by_role("heading", name="Students and passwords").wait_for(timeout=60_000)
    assert _signed_in_as(lecturer, "ada")
    lecturer.get_by_text("Carol O'Neil · Lung 2D · training").wait_for(timeout=60_000)
    screenshot(lecturer, "class_room_lecturer_after_reload")
    lecturer.get_by_role("button", name="Stop").first.click()  # the run has done its part
    wait_idle(lecturer)
    chooser = lecturer.get_by_label("User", exact=True)
    chooser.click()
    lecturer.keyboard.type("Carol")
    lecturer.keyboard.press("Enter")
    wait_idle(lecturer)
    _wait(lecturer, lecturer.get_by_role("button", name="Reset the password").and_(
        lecturer.locator(":enabled")), "user_choice", 30_000)
    lecturer.get_by_role("button", name="Reset the password").click()
    lecturer.get_by_text("Carol O'Neil's new password").wait_for(timeout=30_000)

    carol.reload()  # her session ended with the old password
    carol.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
    assert not _signed_in_as(carol, "Carol O'Neil")
    for page in (lecturer, carol, daniel):
        page.context.close()
