"""deploy/nginx.conf in Debian's real nginx, in front of two app replicas sharing one class: a student signs in
through it over TLS, the cookie is Secure, both replicas answer, and an X-Forwarded-For that the client sends is not
believed (the app counts failed sign-ins against the address nginx saw).

nginx is installed by scripts/test.sh (Debian's nginx-light), as chromium is; without it the test skips (and fails
in CI, where it must be there).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, _free_port, class_folder, serve, wait_idle

pytestmark = pytest.mark.browser

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_config(site: str, *, https: int, http: int, app_ports: tuple[int, int], cert: Path, key: Path,
                 folder: Path) -> str:
    """deploy/nginx.conf as a whole nginx.conf for a test: its ports, certificate and replicas moved to ours, and the
    main context an unprivileged nginx needs (pid, logs and temporary files in ``folder``)."""
    replaced = {"listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
                "listen [::]:443 ssl http2;": "", "listen 80;": f"listen 127.0.0.1:{http};", "listen [::]:80;": "",
                "/etc/ssl/dlmi/fullchain.pem": str(cert), "/etc/ssl/dlmi/privkey.pem": str(key),
                "127.0.0.1:8501": f"127.0.0.1:{app_ports[0]}", "127.0.0.1:8502": f"127.0.0.1:{app_ports[1]}"}
    for old, new in replaced.items():
        assert old in site, f"deploy/nginx.conf no longer has {old!r}: update this test with it"
        site = site.replace(old, new)
    temp = "\n".join(f"    {name}_temp_path {folder / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                             "scgi"))
    return (f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\nevents {{}}\n"
            f"http {{\n    access_log {folder / 'access.log'};\n{temp}\n{site}\n}}\n")


@pytest.fixture(scope="module")
def class_behind_nginx(tmp_path_factory, demo_root):
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI: scripts/test.sh should have installed Debian's nginx-light")
        pytest.skip("Debian's nginx is not installed (apt-get install nginx-light)")
    root = class_folder(tmp_path_factory, demo_root, "behind-nginx", {"ada": "lecture-notes", "bob": "student-pass"})
    folder = root / "nginx"
    folder.mkdir()
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    ports = (_free_port(), _free_port())
    https, http = _free_port(), _free_port()
    (folder / "nginx.conf").write_text(nginx_config((ROOT / "deploy" / "nginx.conf").read_text(), https=https,
                                                    http=http, app_ports=ports, cert=cert, key=key, folder=folder))
    env = dict(DLMI_CLASS_FILE=str(root / "class.json"), DLMI_TRUSTED_PROXIES="127.0.0.1")
    with serve(root, port=ports[0], **env), serve(root, port=ports[1], **env):
        check = subprocess.run([NGINX, "-t", "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        nginx = subprocess.Popen([NGINX, "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log"),
                                  "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            context = ssl.create_default_context(cafile=str(cert))
            context.check_hostname = False
            deadline = time.time() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"https://localhost:{https}/healthz", context=context, timeout=5) as r:
                        assert r.status == 200 and r.read() == b"ok"
                        break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.3)
            yield {"url": f"https://localhost:{https}", "http": f"http://localhost:{http}", "root": root,
                   "context": context, "ports": ports, "folder": folder}
        finally:
            nginx.terminate()
            nginx.wait(10)


def test_plain_http_is_sent_to_https(class_behind_nginx):
    request = urllib.request.Request(class_behind_nginx["http"] + "/lung2d")

    class NoFollow(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoFollow).open(request, timeout=10)
    assert answer.value.code == 301 and answer.value.headers["Location"].startswith("https://localhost")


def test_a_student_signs_in_through_nginx_with_a_secure_cookie_and_a_spoofed_address_is_not_believed(
        class_behind_nginx, chromium):
    setup = class_behind_nginx
    context = chromium.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 1000},
                                   extra_http_headers={"X-Forwarded-For": "203.0.113.66"})
    page = context.new_page()
    try:
        page.goto(setup["url"])
        page.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
        for password in ("wrong-password", "student-pass"):
            page.get_by_role("textbox", name="User name").fill("bob")
            page.get_by_role("textbox", name="Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            wait_idle(page)
        page.get_by_text("Signed in as").wait_for(timeout=60_000)
        deadline = time.time() + 20
        while not any(c["name"] == "dlmi_session" for c in context.cookies()) and time.time() < deadline:
            page.wait_for_timeout(200)
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["dlmi_session"]["secure"] and cookies["dlmi_session"]["httpOnly"]
        assert cookies["dlmi_session"]["sameSite"] == "Strict"
        assert cookies["dlmi_route"]["secure"]
        page.reload()  # the route cookie brings the reload to the same replica; the session cookie keeps bob in
        page.get_by_text("Signed in as").wait_for(timeout=60_000)
    finally:
        context.close()
    # the failure was counted against the address nginx saw (loopback: no address), never the one the client sent
    with sqlite3.connect(setup["root"] / "sign-in.sqlite3") as db:
        addresses = [key for (key,) in db.execute("SELECT key FROM failures WHERE kind = 'address'")]
    assert "203.0.113.66" not in addresses and addresses == []
    served = Path(setup["folder"] / "access.log").read_text()
    assert served.count("/_stcore/stream") >= 1


def test_the_same_spoof_sent_to_a_replica_directly_is_believed_which_is_why_nginx_must_set_the_header(
        class_behind_nginx, chromium):
    """The control: the replicas trust 127.0.0.1 (the proxy), so a client on the same machine that bypasses nginx
    chooses its address; the replicas must listen on 127.0.0.1 only, behind a firewall (docs/deploy.md)."""
    setup = class_behind_nginx
    context = chromium.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.77"})
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{setup['ports'][0]}")
        page.get_by_role("textbox", name="User name").fill("made-up-name")
        page.get_by_role("textbox", name="Password").fill("wrong-password")
        page.get_by_role("button", name="Sign in").click()
        wait_idle(page)
    finally:
        context.close()
    with sqlite3.connect(setup["root"] / "sign-in.sqlite3") as db:
        addresses = [key for (key,) in db.execute("SELECT key FROM failures WHERE kind = 'address'")]
    assert "203.0.113.77" in addresses


def test_the_config_sets_the_forwarded_header_and_never_passes_the_clients_on():
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", site)
    assert "$proxy_add_x_forwarded_for" not in site  # that would append the client's own header
