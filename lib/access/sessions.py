"""Signed-in sessions that survive a reload: an unguessable, server-side, revocable session id in an HttpOnly cookie.

A Streamlit session ends with the browser tab's reload, so a sign-in kept only in it is lost. After a roster sign-in
the page gets a one-time **ticket** (valid 60 s) and the browser exchanges it at ``/_dlmi/session`` (the route of
``server.py``) for a cookie holding a fresh **session id**: HttpOnly (no script reads it), SameSite=Strict, Secure on
HTTPS. Only SHA-256 hashes of ids and tickets are stored (in ``sign-in.sqlite3`` beside the class file), with the
user and a fingerprint of their password hash: a session ends when it expires (12 hours), when the user signs out,
when the lecturer removes the user, or when their password is reset (the fingerprint no longer matches).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import time
from contextlib import closing
from pathlib import Path

COOKIE = "dlmi_session"
SESSION_S = 12 * 3600.0
TICKET_S = 60.0


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def fingerprint(password_hash: str) -> str:
    """What a session remembers of the user's password hash: enough to notice a reset, useless to an attacker."""
    return _hash("fingerprint:" + password_hash)[:32]


class Sessions:
    """The sessions store (``path``: an SQLite file, created private)."""

    def __init__(self, path: str | Path, *, session_s: float = SESSION_S, ticket_s: float = TICKET_S):
        self.path = Path(path)
        self.session_s, self.ticket_s = session_s, ticket_s
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        with closing(self._connect()) as db:
            db.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user TEXT NOT NULL, "
                       "fingerprint TEXT NOT NULL, expires REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, session TEXT NOT NULL, "
                       "expires REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 10000")
        # a used ticket's row holds the session id until redeemed: deleted rows are overwritten with zeros, so the id
        # does not linger in the file's free pages (it did, now and then: a test reading the file found it)
        db.execute("PRAGMA secure_delete = ON")
        return db

    def open(self, user: str, password_hash: str, *, now: float | None = None) -> tuple[str, str]:
        """A new session of ``user``: (session id, one-time ticket). The id goes into the cookie only through the
        ticket's exchange (:meth:`redeem`), so it never passes through the page."""
        now = time.time() if now is None else now
        session, ticket = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            db.execute("DELETE FROM tickets WHERE expires < ?", (now,))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                       (_hash(session), user, fingerprint(password_hash), now + self.session_s))
            db.execute("INSERT INTO tickets VALUES (?, ?, ?)", (_hash(ticket), session, now + self.ticket_s))
            db.execute("COMMIT")
        return session, ticket

    def redeem(self, ticket: str, *, now: float | None = None) -> str | None:
        """The session id a ticket stands for, once (the ticket is gone afterwards); None for an unknown, used or
        expired ticket."""
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT session, expires FROM tickets WHERE ticket = ?", (_hash(ticket or ""),)).fetchone()
            db.execute("DELETE FROM tickets WHERE ticket = ?", (_hash(ticket or ""),))
            db.execute("COMMIT")
        if row is None or row[1] < now:
            return None
        return row[0]

    def user(self, session: str | None, users: dict[str, str], *, now: float | None = None) -> str | None:
        """The user a session id belongs to, while it is valid: not expired, the user still in the class (``users``:
        name -> password hash) with the password it was opened with. An invalid session is forgotten."""
        if not session:
            return None
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            row = db.execute("SELECT user, fingerprint, expires FROM sessions WHERE id = ?", (_hash(session),)).fetchone()
            if row is None:
                return None
            user, remembered, expires = row
            if expires < now or user not in users or fingerprint(users[user]) != remembered:
                db.execute("DELETE FROM sessions WHERE id = ?", (_hash(session),))
                return None
        return user

    def close(self, session: str | None) -> None:
        """Sign out: the session id stops meaning anything, wherever its cookie still is."""
        if session:
            with closing(self._connect()) as db:
                db.execute("DELETE FROM sessions WHERE id = ?", (_hash(session),))

    def close_user(self, user: str) -> None:
        """End every session of ``user`` (removed, or a password reset by the lecturer)."""
        with closing(self._connect()) as db:
            db.execute("DELETE FROM sessions WHERE user = ?", (user,))
