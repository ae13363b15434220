"""The app served with its own routes: ``streamlit run server.py`` (``scripts/app.sh`` does it).

Streamlit runs ``app.py`` as always; around it, Streamlit's ASGI server (``st.App``) adds the routes that set and
clear the sign-in cookie, which a Streamlit script cannot do itself (it cannot answer an HTTP request):

- ``POST /_dlmi/session`` with a one-time ticket from the page: sets the HttpOnly session cookie
  (:mod:`lib.access.sessions`), so a reload keeps a roster user signed in;
- ``POST /_dlmi/signout``: ends the session and clears the cookie.
"""

from __future__ import annotations

import warnings

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
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


def _sessions() -> Sessions:
    return Sessions(class_file().with_name("sign-in.sqlite3"))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


async def open_session(request: Request) -> Response:
    ticket = (await request.body()).decode(errors="replace").strip()[:200]
    session = _sessions().redeem(ticket)
    if session is None:
        return Response("unknown or used ticket", status_code=403)
    response = Response(status_code=204)
    response.set_cookie(COOKIE, session, max_age=int(SESSION_S), httponly=True, samesite="strict",
                        secure=_secure(request), path="/")
    return response


async def close_session(request: Request) -> Response:
    _sessions().close(request.cookies.get(COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


app = st.App("app.py", routes=[Route("/_dlmi/session", open_session, methods=["POST"]),
                               Route("/_dlmi/signout", close_session, methods=["POST"])])
