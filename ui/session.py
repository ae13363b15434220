"""Why a run has an owner: who this browser is. Sign-in as the class file says (lib.access), and the identity that
owns runs. The sidebar (:mod:`ui.sidebar`), the report download (:mod:`ui.report_download`) and the class's limits
(:mod:`ui.admission`) live in their own modules.

- ``token`` (no class file; one person on a laptop): an unguessable token in the URL (``?u=...``) survives reloads
  and is the identity; whoever has the URL is that person, which the sidebar says.
- ``roster``: a sign-in form checked against the class file's password hashes; the identity never appears in the URL
  (a projected URL gives nobody the lecturer's runs). A reload keeps it through an HttpOnly session cookie
  (:mod:`lib.access.sessions`, set by ``server.py``), which ends at sign-out, after 12 hours, and when the lecturer
  removes the user or resets their password.
- ``proxy``: the user name a trusted reverse proxy puts in a header (``st.context.headers``).
- ``oidc``: Streamlit's own sign-in (``st.login``) with the identity provider set in ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import os
import re
import secrets
import time

import streamlit as st

from lib.access.guard import SignInGuard
from lib.access.identity import (MAX_NAME, Identity, SignInError, find_user, oidc_identity, proxy_identity,
                                 proxy_untrusted, role_of, roster_sign_in, token_identity)
from lib.access.policy import ClassFileError, ClassSettings, class_file, load_class
from lib.access.sessions import COOKIE, Sessions, fingerprint
from ui import sidebar
from ui.components import session_cookie

_TOKEN = re.compile(r"^[0-9a-f]{32}$")  # the same rule as lib.access.identity.token_identity
_IDENTITY = "_identity"
_SIGNED = "_signed_with"  # the fingerprint of the password hash the session signed in with: a reset ends it
_SESSION = "_session_id"  # the session id behind this browser's cookie (server memory only; never sent to the page)
_TICKET = "_session_ticket"  # the one-time ticket the page trades for the cookie


@st.cache_data(show_spinner=False, max_entries=4)
def _cached_class(path: str, stamp: float, required: bool) -> ClassSettings:
    return load_class(path, required=required)


@st.cache_resource
def _class_seen() -> dict:
    """Whether this server has run a class (a class file was read): from then on it never falls back to single-user
    mode, whatever happens to the file."""
    return {"seen": False}


def class_settings() -> ClassSettings:
    """The class file's settings, re-read when the file changes (the lecturer edits the limits on the Class page).

    Fails closed: a server started with a class (``DLMI_CLASS_FILE`` set, or a class file read since it started) that
    finds the file missing, unreadable, a folder or a dangling link raises :class:`ClassFileError`, so sign-in stops
    with that message; it never becomes a single-user laptop with no sign-in and no limits."""
    path = class_file()
    required = bool(os.environ.get("DLMI_CLASS_FILE")) or _class_seen()["seen"]
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1.0  # missing (or a link to nothing): load_class decides whether that is allowed
    settings = _cached_class(str(path), stamp, required)
    if settings.is_class:
        _class_seen()["seen"] = True
    return settings


def guard() -> SignInGuard:
    """The sign-in failures store, beside the class file (shared by every session and every app server)."""
    return _guard(str(class_file().with_name("sign-in.sqlite3")))


@st.cache_resource
def _guard(path: str) -> SignInGuard:
    return SignInGuard(path)


def sessions() -> Sessions:
    """The reload-proof sessions store, beside the class file (shared by every app server, like the guard)."""
    return _sessions(str(class_file().with_name("sign-in.sqlite3")))


@st.cache_resource
def _sessions(path: str) -> Sessions:
    return Sessions(path)


def _cookie() -> str | None:
    """The session cookie this browser sent when it connected (None in a test run, or before any sign-in)."""
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no browser behind this session (a test run)
        return None
    return value if isinstance(value, str) and value else None


def _address() -> str | None:
    """The client's address as the server sees it, for counting failures; None when it does not know it: on loopback
    (Streamlit gives no address there) and behind a proxy that the server was not told to trust (``DLMI_TRUSTED_PROXIES``,
    see ``server.py``). None means no address lock, never one shared bucket that 20 bad requests could lock for all."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no address (a test run)
        return None
    return address if isinstance(address, str) and address else None


def _server_address() -> str | None:
    """The interface the server listens on (``--server.address``; empty: every interface)."""
    address = st.get_option("server.address")
    return address if isinstance(address, str) else None


def _token() -> str:
    token = st.session_state.get("owner")
    from_url = st.query_params.get("u")
    if token is None and from_url and _TOKEN.match(from_url):
        token = from_url
    if token is None:
        token = secrets.token_hex(16)
    st.session_state["owner"] = token
    if st.query_params.get("u") != token:
        st.query_params["u"] = token
    return token


def _oidc_user() -> dict:
    """``st.user`` as a dict (a separate function so that tests can stand in for an identity provider)."""
    try:
        return st.user.to_dict()
    except Exception:  # noqa: BLE001 - no [auth] section in secrets.toml: nobody is signed in
        return {}


def _headers() -> dict:
    return dict(st.context.headers)


def current_identity(settings: ClassSettings | None = None) -> Identity | None:
    """This session's identity, or None when it has not signed in (yet)."""
    settings = settings or class_settings()
    if settings.auth == "token":
        return token_identity(_token())
    if settings.auth == "roster":
        return _roster_identity(settings)
    if settings.auth == "proxy":
        headers = _headers()
        untrusted = proxy_untrusted(headers, server_address=_server_address(), secret=settings.proxy_secret)
        if untrusted:
            raise ValueError(untrusted)
        return proxy_identity(headers, settings.proxy_header, settings.lecturers)
    return oidc_identity(_oidc_user(), settings.lecturers)


def _roster_identity(settings: ClassSettings) -> Identity | None:
    """Signed in in this browser tab, or (after a reload) through the session cookie; checked on every run against the
    sessions store and the class file now, so signing out in another tab, the 12 hours' expiry, a removed user or a
    reset password end this tab's session at its next click."""
    signed = st.session_state.get(_IDENTITY)
    if signed is None:
        cookie = _cookie()
        name = sessions().user(cookie, settings.users) if cookie else None
        if name is None:
            return None
        st.session_state[_IDENTITY] = Identity(name, role_of(name, settings.lecturers), "roster")
        st.session_state[_SIGNED] = fingerprint(settings.users[name])
        st.session_state[_SESSION] = cookie
        signed = st.session_state[_IDENTITY]
    stored = settings.users.get(signed.name)
    if stored is None or st.session_state.get(_SIGNED) != fingerprint(stored):  # removed, or the password was reset
        _forget(end_session=True)
        return None
    if sessions().user(st.session_state.get(_SESSION), settings.users) != signed.name:  # signed out elsewhere, expired
        _forget(end_session=False)
        return None
    return Identity(signed.name, role_of(signed.name, settings.lecturers), "roster")  # the class file's role now


def _forget(*, end_session: bool) -> None:
    """Sign this browser out: this tab's identity, the server's session behind the cookie, then (in the browser, from
    the sign-in page) the cookie itself."""
    st.session_state.pop(_IDENTITY, None)
    st.session_state.pop(_SIGNED, None)
    st.session_state.pop(_TICKET, None)
    session = st.session_state.pop(_SESSION, None) or _cookie()
    if end_session and session:
        sessions().close(session)
    st.session_state["_clear_cookie"] = True


def sign_in_gate() -> Identity | None:
    """Call in app.py before the navigation: the identity, or None when the session has not signed in (yet); app.py
    then offers :func:`sign_in_page` as the only page, so nothing of the app (not even its page names) shows."""
    try:
        settings = class_settings()
        identity = current_identity(settings)
    except ValueError:  # a broken class file, or a proxy's or provider's name that cannot be used: the page says
        return None
    if identity is not None:
        if settings.auth != "token" and "u" in st.query_params:
            del st.query_params["u"]  # an old bookmark's token means nothing once people sign in
        sidebar.draw(identity, settings, sign_out=_sign_out, ticket=st.session_state.get(_TICKET))
    return identity


def sign_in_page() -> None:
    """The only page before signing in: the way to sign in, or why nobody can."""
    st.title("Deep learning in medical imaging")
    try:
        settings = class_settings()
    except ClassFileError as exc:
        st.error(f"The class settings cannot be used, so nobody can sign in: {exc}. Fix the file and reload.")
        return
    try:
        current_identity(settings)
    except ValueError as exc:
        st.error(f"Nobody can sign in this way: {exc}." if settings.auth == "proxy" else
                 f"Your sign-in cannot be used here: {exc}")
        return
    if st.session_state.pop("_clear_cookie", False):
        session_cookie.clear()  # the server has ended the session already; the browser drops the cookie
    if settings.auth == "roster":
        _roster_form(settings)
    elif settings.auth == "proxy":
        st.error(f"This server expects its sign-in proxy to name you in the {settings.proxy_header} header, and the "
                 "request had none. Open the app through the class's address, not the server's own port.")
    else:
        st.info("Sign in with your university account to use the app.")
        st.button("Sign in", type="primary", on_click=st.login)


def _roster_form(settings: ClassSettings) -> None:
    with st.form("sign_in"):
        st.subheader("Sign in")
        st.text_input("User name", key="_sign_in_name", max_chars=MAX_NAME)
        st.text_input("Password", type="password", key="_sign_in_password")
        # checked in a callback, before the script runs: this very run already shows the signed-in app
        st.form_submit_button("Sign in", type="primary", on_click=_try_sign_in, args=(settings,))
    error = st.session_state.pop("_sign_in_error", None)
    if error:
        st.error(error)


def _try_sign_in(settings: ClassSettings) -> None:
    """Checked against the failures every session and server shares (:class:`lib.access.guard.SignInGuard`): a locked
    account or address is refused without looking at the password, repeated failures wait longer and longer, and the
    attempt is counted before the password is checked, so guesses sent at once cannot slip past the limit."""
    name = (st.session_state.get("_sign_in_name") or "")[:4 * MAX_NAME].strip()
    password = st.session_state.pop("_sign_in_password", "")  # the password does not stay in the session
    st.session_state["_sign_in_name"] = name[:MAX_NAME]  # nothing longer goes back to the page
    if not name:
        st.session_state["_sign_in_error"] = "Type your user name."
        return
    store = guard()
    attempt = store.attempt(name[:MAX_NAME], _address(),
                            address_exempt=find_user(dict.fromkeys(settings.lecturers), name) is not None)
    if not attempt.allowed:
        st.session_state["_sign_in_error"] = (f"Too many failed sign-ins for this account or from this computer: try again "
                                              f"in {max(1, round(attempt.locked_for_s / 60))} minute(s), or ask the "
                                              "lecturer to unlock it.")
        return
    time.sleep(attempt.delay_s)
    try:
        who = roster_sign_in(settings.users, settings.lecturers, name, password)
    except SignInError as exc:
        store.settle(attempt, ok=False)
        st.session_state["_sign_in_error"] = str(exc)
        return
    store.settle(attempt, ok=True)
    st.session_state[_IDENTITY] = who
    st.session_state[_SIGNED] = fingerprint(settings.users[who.name])
    st.session_state[_SESSION], st.session_state[_TICKET] = sessions().open(who.name, settings.users[who.name])


def _sign_out(settings: ClassSettings) -> None:
    _forget(end_session=True)
    if settings.auth == "oidc":
        st.logout()


def identity() -> Identity:
    """The signed-in identity (the gate in app.py has run, so there is one)."""
    found = current_identity()
    if found is None:  # a page run outside app.py's gate (it reruns through app.py): nobody, so nothing is shown
        st.stop()
    return found


def owner_token() -> str:
    """What this user's run folders record as their owner."""
    return identity().owner
