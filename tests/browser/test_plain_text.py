"""Text from users, files and addresses shows as typed in Streamlit's real renderer: no link, image or formula.

Streamlit renders markdown (GitHub's flavour, with bare-address links made after escapes are resolved, and KaTeX) in
most text elements. :func:`lib.text.plain` is the one helper every such text goes through; this test plants the
payloads a bored student would type in each kind of element and reads what the browser drew.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser.conftest import ROOT, _free_port, log_problems, wait_idle

pytestmark = pytest.mark.browser

PAYLOADS = ["[link](http://evil.example/x)", "![i](http://evil.example/i.png)", "$x^2$", "www.evil.example",
            "see http://evil.example/x now", "mail bob@evil.example", "<b>bold</b> **also**", "$$\\frac{1}{2}$$",
            "Your session expired: [sign in again here](https://evil.example/login)"]

SCRIPT = '''
import streamlit as st
from lib.text import plain

payloads = {payloads!r}
for i, text in enumerate(payloads):
    st.markdown(f"**Name**: {{plain(text)}}")
    st.caption(plain(text))
    st.warning(f"Warned: {{plain(text)}}")
    st.info(plain(text))
    with st.expander(f"Expander {{plain(text)}}"):
        st.write("inside")
st.markdown("[a real link](http://example.org/ok)")  # the control: an unescaped link does become a link
'''


@pytest.fixture
def plain_page(tmp_path, chromium):
    script = tmp_path / "plain_page.py"
    script.write_text(SCRIPT.format(payloads=PAYLOADS))
    port = _free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                                   "--server.port", str(port), "--server.address", "127.0.0.1",
                                   "--browser.gatherUsageStats", "false"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.3)
            context = chromium.new_context(viewport={"width": 1200, "height": 6000})
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}")
            page.wait_for_selector("text=a real link", timeout=60_000)
            wait_idle(page)
            yield page
            context.close()
        finally:
            server.terminate()
            server.wait(10)
    problems = [p for p in log_problems(log_path.read_text(errors="replace")) if "Uvicorn server started" not in p]
    assert not problems


def test_planted_markdown_shows_as_typed_in_every_element(plain_page):
    main = plain_page.locator("[data-testid=stMain]")
    links = main.locator("a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert links == ["http://example.org/ok"], links  # the control link only: nothing planted became a link
    assert main.locator("img").count() == 0
    assert main.locator(".katex, math").count() == 0
    assert main.locator("b, strong").evaluate_all(
        "els => els.map(e => e.textContent)") == ["Name"] * len(PAYLOADS)  # only the script's own bold
    text = main.inner_text().replace("\u2060", "")
    for payload in PAYLOADS:  # and the text reads as it was typed (the joiners are invisible)
        assert text.count(payload) >= 4, payload
