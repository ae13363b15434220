"""OpenID Connect for real: sign in through a real provider (the certified oidc-provider package, run by node on
loopback), get the identity (the e-mail) and the lecturer role by e-mail, keep the session over a reload, sign out."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from lib.access.policy import ClassSettings, save_class
from tests.browser.conftest import screenshot, serve, wait_idle

pytestmark = pytest.mark.browser
HERE = Path(__file__).parent / "oidc"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def node_modules():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for the OpenID Connect test (the base image has them)")
        pytest.skip("node / npm not installed: the OpenID Connect provider cannot run")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    return node


@pytest.fixture
def provider_and_app(node_modules, app_data, tmp_path):
    app_port, provider_port = _free_port(), _free_port()
    app = f"http://127.0.0.1:{app_port}"
    log = open(tmp_path / "provider.log", "w")
    provider = subprocess.Popen([node_modules, "provider.js", str(provider_port), app], cwd=HERE, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", provider_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(f"""[auth]
redirect_uri = "{app}/oauth2callback"
cookie_secret = "{secrets.token_hex(16)}"
client_id = "dlmi"
client_secret = "dlmi-test-secret"
server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"

[auth.client_kwargs]
prompt = "login"  # Streamlit asks for select_account by default, which this provider (like some others) refuses
""")
        class_file = tmp_path / "class.json"
        save_class(ClassSettings(auth="oidc", lecturers=("ada@uni.example",)), class_file)
        with serve(app_data, port=app_port, args=("--secrets.files", str(secrets_file)),
                   DLMI_CLASS_FILE=str(class_file)) as url:
            yield url
    finally:
        provider.terminate()
        provider.wait(10)
        log.close()


def _sign_in(page, url: str, login: str) -> None:
    page.goto(url + "/lung2d")
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=login]").wait_for(timeout=30_000)  # the provider's own login page
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password: the development login takes any")
    page.locator("button[type=submit]").click()
    consent = page.locator("button[type=submit]")
    consent.wait_for(timeout=30_000)
    if "consent" in page.url or "Authorize" in page.content():
        consent.click()
    page.get_by_text(f"Signed in as").wait_for(timeout=60_000)


def test_sign_in_through_a_real_provider_keeps_the_session_and_signs_out(provider_and_app, page):
    url = provider_and_app
    _sign_in(page, url, "ada")
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Signed in as ada@uni.example (lecturer)" in sidebar.inner_text().replace("\u2060", "")  # the word joiner
    # that keeps an e-mail address from becoming a mailto link (lib.text.plain) is invisible
    assert sidebar.get_by_text("Class").count() > 0  # the lecturer's page, by e-mail
    screenshot(page, "oidc_signed_in")
    page.reload()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)
    wait_idle(page)
    assert "Signed in as ada@uni.example (lecturer)" in page.locator('[data-testid="stSidebar"]').inner_text().replace(
        "\u2060", "")
    page.get_by_role("button", name="Sign out").click()
    sign_in = page.get_by_role("button", name="Sign in")
    deadline = time.time() + 60
    while time.time() < deadline and not sign_in.count():
        if "session/end" in page.url and page.locator("button").count():  # the provider: sign out of it too? yes
            page.locator("button").first.click()
        page.wait_for_timeout(500)
    sign_in.wait_for(timeout=30_000)
    assert "Signed in as" not in page.locator("body").inner_text()


def test_a_student_by_e_mail_gets_no_class_page(provider_and_app, page):
    _sign_in(page, provider_and_app, "carol")
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
    assert "Signed in as carol@uni.example (student)" in sidebar and "Class" not in sidebar.split("Signed in")[0]
