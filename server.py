"""The app served with its own routes: ``streamlit run server.py`` (``scripts/app.sh`` does it).

Streamlit runs ``app.py`` as always; around it, Streamlit's ASGI server (``st.App``) adds the routes that set and
clear the sign-in cookie, which a Streamlit script cannot do itself (it cannot answer an HTTP request):

- ``POST /_dlmi/session`` with a one-time ticket from the page: sets the HttpOnly session cookie
  (:mod:`lib.access.sessions`), so a reload keeps a roster user signed in;
- ``POST /_dlmi/signout``: ends the session and clears the cookie.

Both routes read at most :data:`MAX_BODY` bytes (a longer body is refused with 413 before it is read) and refuse a
request whose ``Origin`` is another site's (403).

Client addresses (for counting failed sign-ins per address) are believed from ``X-Forwarded-For`` only when the request
comes from a proxy listed in ``DLMI_TRUSTED_PROXIES`` (comma-separated addresses; default none). Uvicorn decides this
from ``FORWARDED_ALLOW_IPS``, read when it starts, before this file is imported: ``scripts/app.sh`` and the service
units set it from ``DLMI_TRUSTED_PROXIES``. A server started another way whose uvicorn trusts other proxies than we
were told refuses every request that carries ``X-Forwarded-For`` (400, saying how to start it), rather than believe
an address a student chose.

Every HTML page carries one line of script that tells Streamlit's frontend where the server is: without it, a page
opened by its own address (``/dr``) first probes ``/dr/_stcore/health`` and ``/dr/_stcore/host-config`` (two 404s on
every load, in the browser's console and the proxy's log) before it finds the server one level up.

The cookie is ``Secure`` when the request arrived over HTTPS (or a trusted proxy says so with ``X-Forwarded-Proto``),
and always when ``DLMI_COOKIE_SECURE=1`` (a TLS proxy that does not send ``X-Forwarded-Proto``).
"""

from __future__ import annotations

import json
import os
import warnings
from urllib.parse import urlsplit

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from lib.access.policy import class_file
from lib.access.sessions import COOKIE, SESSION_S, Sessions


# Authlib (Streamlit's OpenID Connect sign-in) warns at import that it prefers httpx2, which is not released for our
# stack; the sign-in works with httpx, and the warning would be the only line of an otherwise clean server log. Import
# it once here, quietly, so the sign-in's own import later finds it loaded.
with warnings.catch_warnings():
    try:
        import authlib.deprecate  # noqa: F401  (it installs an "always show" filter of its own: ours goes after it)

        warnings.simplefilter("ignore", DeprecationWarning)
        import authlib.integrations.starlette_client  # noqa: F401
    except ImportError:  # no Authlib: OpenID Connect is not used on this server
        pass


MAX_BODY = 1024  # bytes: a ticket is 43 characters


def _sessions() -> Sessions:
    return Sessions(class_file().with_name("sign-in.sqlite3"))


def _secure(request: Request) -> bool:
    """Whether the cookie must be Secure: HTTPS as uvicorn saw it (a trusted proxy's X-Forwarded-Proto included; an
    untrusted client's header is not believed), or the server is told so (``DLMI_COOKIE_SECURE=1``)."""
    return request.url.scheme == "https" or os.environ.get("DLMI_COOKIE_SECURE", "") == "1"


def _foreign(request: Request) -> bool:
    """A browser's request from another site's page (its ``Origin`` names another host than the one it asked)."""
    origin = request.headers.get("origin")
    if origin is None:
        return False  # not a browser's cross-site request (browsers send Origin on every POST from a page)
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


async def _bounded_body(request: Request) -> bytes | None:
    """The request's body, or None when it is (or says it is) longer than :data:`MAX_BODY`: never read past that."""
    try:
        if int(request.headers.get("content-length", "0")) > MAX_BODY:
            return None
    except ValueError:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body


async def open_session(request: Request) -> Response:
    if _foreign(request):
        return PlainTextResponse("cross-site request refused", status_code=403)
    body = await _bounded_body(request)
    if body is None:
        return PlainTextResponse(f"request too large (at most {MAX_BODY} bytes)", status_code=413)
    session = _sessions().redeem(body.decode(errors="replace").strip())
    if session is None:
        return PlainTextResponse("unknown or used ticket", status_code=403)
    response = Response(status_code=204)
    response.set_cookie(COOKIE, session, max_age=int(SESSION_S), httponly=True, samesite="strict",
                        secure=_secure(request), path="/")
    return response


async def close_session(request: Request) -> Response:
    if _foreign(request):
        return PlainTextResponse("cross-site request refused", status_code=403)
    if await _bounded_body(request) is None:
        return PlainTextResponse(f"request too large (at most {MAX_BODY} bytes)", status_code=413)
    _sessions().close(request.cookies.get(COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


def _hosts(text: str) -> set[str]:
    return {h.strip() for h in text.split(",") if h.strip()}


UVICORN_DEFAULT_TRUST = "127.0.0.1,::1"  # what uvicorn trusts when FORWARDED_ALLOW_IPS is not set


def proxy_trust_mismatch(env=os.environ) -> str | None:
    """Why uvicorn's trust in ``X-Forwarded-For`` differs from ours (``DLMI_TRUSTED_PROXIES``), or None when it
    matches. Uvicorn read ``FORWARDED_ALLOW_IPS`` before this module was imported, so this is what it uses."""
    wanted = _hosts(env.get("DLMI_TRUSTED_PROXIES", ""))
    used = _hosts(env.get("FORWARDED_ALLOW_IPS", UVICORN_DEFAULT_TRUST))
    if wanted == used:
        return None
    return (f"this server believes X-Forwarded-For from {', '.join(sorted(used)) or 'nobody'} but DLMI_TRUSTED_PROXIES "
            f"names {', '.join(sorted(wanted)) or 'nobody'}: start it with scripts/app.sh, or set "
            "FORWARDED_ALLOW_IPS to the value of DLMI_TRUSTED_PROXIES")


class ForwardedGuard:
    """Refuses requests that carry ``X-Forwarded-For`` when uvicorn's trust is not the one we were told
    (:func:`proxy_trust_mismatch`): otherwise any local client could choose the address its failed sign-ins count
    against."""

    def __init__(self, app, mismatch: str | None = None):
        self.app, self.mismatch = app, mismatch if mismatch is not None else proxy_trust_mismatch()

    async def __call__(self, scope, receive, send):
        if self.mismatch and scope["type"] in ("http", "websocket") and any(
                name == b"x-forwarded-for" for name, _ in scope.get("headers", ())):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await PlainTextResponse(f"refused: {self.mismatch}", status_code=400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _address_script() -> bytes:
    """The script that sets ``window.__streamlit.BACKEND_BASE_URL``: the page's address less the page's own name
    (``/dr`` → ``/``; behind a proxy that serves the app under ``/course/``, ``/course/dr`` → ``/course/``)."""
    from ui.navigation import page_addresses  # order: the tasks are registered once app.py's imports have run

    pages = json.dumps(page_addresses())
    return ("<script>(function(){var p=location.pathname.replace(/\\/+$/,''),last=p.slice(p.lastIndexOf('/')+1);"
            f"var base={pages}.indexOf(decodeURIComponent(last))>=0?p.slice(0,p.length-last.length):p+'/';"
            "window.__streamlit=Object.assign(window.__streamlit||{},{BACKEND_BASE_URL:location.origin+base});})()"
            "</script>").encode()


class ServerAddressHint:
    """Puts ``window.__streamlit.BACKEND_BASE_URL`` (:func:`_address_script`) into every HTML page before Streamlit's
    own script, so the frontend connects at once instead of probing the page's own path first."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        last = scope.get("path", "").rsplit("/", 1)[-1]
        if scope["type"] != "http" or scope.get("method") != "GET" or "." in last or "/_stcore/" in scope.get("path", ""):
            await self.app(scope, receive, send)
            return
        # asked uncompressed, so that the page can be read (an 8 KB page; its scripts are still compressed)
        scope = {**scope, "headers": [(k, v) for k, v in scope.get("headers", ()) if k.lower() != b"accept-encoding"]}
        start: dict | None = None  # the response's start, held back while an HTML page is collected
        passing = False  # not an HTML page: every message goes on as it is
        body: list[bytes] = []

        async def hinted(message):
            nonlocal start, passing
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", ()))
                passing = message["status"] != 200 or not headers.get(b"content-type", b"").startswith(b"text/html")
                if passing:
                    await send(message)
                else:
                    start = message
                return
            if passing:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body).replace(b"<head>", b"<head>" + _address_script(), 1)
            headers = [(k, v) for k, v in start["headers"] if k.lower() not in (b"content-length", b"etag")]
            await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, hinted)


app = st.App("app.py", routes=[Route("/_dlmi/session", open_session, methods=["POST"]),
                               Route("/_dlmi/signout", close_session, methods=["POST"])],
             middleware=[Middleware(ForwardedGuard), Middleware(ServerAddressHint)])
