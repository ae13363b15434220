"""The app server's own routes at the edge where requests enter: bounded bodies, other sites' requests, and client
addresses believed only from a trusted proxy."""

from __future__ import annotations

import http.client
import socket
import urllib.parse

import psutil
import pytest

from server import ForwardedGuard, proxy_trust_mismatch
from tests.browser.conftest import serve


@pytest.fixture(scope="module")
def app_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("server-edge")
    for folder in ("data", "runs"):
        (root / folder).mkdir()
    return root


@pytest.fixture(scope="module")
def server(app_root):
    """The server as scripts/app.sh starts it (no trusted proxy)."""
    with serve(app_root, DLMI_CLASS_FILE=str(app_root / "data" / "class.json")) as url:
        yield urllib.parse.urlsplit(url)


def _server_process(port: int) -> psutil.Process:
    for connection in psutil.net_connections("tcp"):
        if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_LISTEN:
            return psutil.Process(connection.pid)
    raise AssertionError(f"nothing listens on {port}")


def _post(url, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    connection.request("POST", path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read().decode(errors="replace")


def test_a_body_that_says_it_is_huge_is_refused_unread(server):
    """Content-Length of a gigabyte: 413 before a byte of it is read (the old route read it all: 2.5 GB)."""
    process = _server_process(server.port)
    before = process.memory_info().rss
    with socket.create_connection((server.hostname, server.port), timeout=30) as raw:
        raw.sendall(b"POST /_dlmi/session HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n" + b"t" * 65536)
        reply = raw.recv(4096).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert process.memory_info().rss - before < 50 * 2**20


def test_a_streamed_body_is_read_only_up_to_the_limit(server):
    """No Content-Length (chunked): the route stops reading at its limit; 64 MB sent, memory bounded."""
    process = _server_process(server.port)
    before = process.memory_info().rss

    def chunks():
        for _ in range(1024):
            yield b"t" * 65536

    connection = http.client.HTTPConnection(server.hostname, server.port, timeout=60)
    try:
        connection.request("POST", "/_dlmi/signout", body=chunks(), encode_chunked=True)
        status = connection.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        status = 413  # the server answered and closed while the client was still sending: it did not read on
    assert status == 413
    assert process.memory_info().rss - before < 50 * 2**20


def test_another_sites_page_cannot_post_to_the_session_routes(server):
    for path in ("/_dlmi/session", "/_dlmi/signout"):
        status, text = _post(server, path, b"ticket", {"Origin": "http://evil.example"})
        assert (status, text) == (403, "cross-site request refused"), path
    same = f"http://{server.hostname}:{server.port}"
    assert _post(server, "/_dlmi/session", b"not-a-ticket", {"Origin": same}) == (403, "unknown or used ticket")
    assert _post(server, "/_dlmi/signout", b"", {"Origin": same})[0] == 204


def test_a_forwarded_address_is_refused_when_uvicorn_would_believe_it_but_we_were_not_told_to(app_root):
    """Started without FORWARDED_ALLOW_IPS (as `streamlit run server.py` by hand): uvicorn believes X-Forwarded-For
    from loopback by default, so the server refuses any request carrying it instead of counting a chosen address."""
    with serve(app_root, FORWARDED_ALLOW_IPS=None) as url:
        target = urllib.parse.urlsplit(url)
        status, text = _post(target, "/_dlmi/signout", b"", {"X-Forwarded-For": "203.0.113.9"})
        assert status == 400 and "DLMI_TRUSTED_PROXIES" in text
        assert _post(target, "/_dlmi/signout", b"")[0] == 204  # a request without it is served


def test_the_trust_check_compares_what_uvicorn_uses_with_what_we_were_told():
    assert proxy_trust_mismatch({}) is not None  # uvicorn's default (loopback) against ours (nobody)
    assert proxy_trust_mismatch({"FORWARDED_ALLOW_IPS": ""}) is None
    assert proxy_trust_mismatch({"DLMI_TRUSTED_PROXIES": "127.0.0.1", "FORWARDED_ALLOW_IPS": " 127.0.0.1 "}) is None
    assert proxy_trust_mismatch({"DLMI_TRUSTED_PROXIES": "10.0.0.2", "FORWARDED_ALLOW_IPS": "*"}) is not None
    assert ForwardedGuard(app=None, mismatch="").mismatch == ""
