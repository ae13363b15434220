"""Sign-in failures counted where every session and every app server sees them: per account and per client address,
in a small SQLite file beside the class file, with growing delays and a temporary lockout.

A Streamlit session is cheap to open, so a slowdown kept in the session slows nobody down: a guesser opens a new one.
Here the counts live on disk. The rules (defaults):

- after 2 failures of an account within the window, each further attempt waits 1, 2, 4, 8 s before it is checked;
- 5 failures of an account within 15 minutes lock it for 15 minutes from the last one, whatever the password (the
  lecturer can unlock it on the Class page); 20 failures from one address lock that address the same way, except for
  the lecturers' names (so a student cannot lock the lecturer out of the Class page by failing from the lecture hall's
  shared address: the lecturer's own account lock still applies);
- a successful sign-in clears the account's failures (not the address's: the lock of an address ends with time or
  the lecturer's Unlock, ``python -m lib class unlock --address``).

An attempt is recorded as a failure in the same transaction that checks the locks, *before* its password is checked
(:meth:`SignInGuard.attempt`): so a scripted guesser gets at most 5 password checks per account per 15 minutes, from
any number of sessions or servers at once. Accounts are keyed by :func:`lib.access.identity.name_key` (at most 64
characters, case folded), so neither ``BOB`` nor a megabyte-long name makes a new row of its own. An address is only
counted when the server knows it (``st.context.ip_address``; None on loopback and behind a proxy it does not trust):
without one there is no address lock, never one shared bucket for everybody.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from lib.access.identity import name_key

ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class Attempt:
    """The right to check one password (:meth:`SignInGuard.attempt`): refused while ``locked_for_s`` > 0, else to be
    checked after ``delay_s`` seconds."""

    key: str
    address: str | None
    locked_for_s: float = 0.0
    delay_s: float = 0.0
    address_row: int | None = None  # the failure this attempt recorded against its address (forgotten on success)

    @property
    def allowed(self) -> bool:
        return self.locked_for_s <= 0


@dataclass(frozen=True)
class Lock:
    """A locked account or address and until when (epoch seconds)."""

    kind: str
    key: str
    until: float
    failures: int


class SignInGuard:
    """The failures store (``path``: an SQLite file, created private).

    Parameters
    ----------
    account_limit, address_limit : failures within ``window_s`` that lock an account, an address
    lock_s : how long a lock lasts after the last failure
    free_failures : failures of an account before attempts start to wait
    """

    def __init__(self, path: str | Path, *, account_limit: int = 5, address_limit: int = 20, window_s: float = 900.0,
                 lock_s: float = 900.0, free_failures: int = 2, max_delay_s: float = 8.0):
        self.path = Path(path)
        self.account_limit, self.address_limit = account_limit, address_limit
        self.window_s, self.lock_s = window_s, lock_s
        self.free_failures, self.max_delay_s = free_failures, max_delay_s
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        with closing(self._connect()) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS failures (kind TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS by_key ON failures (kind, key, at)")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)  # autocommit; BEGIN IMMEDIATE below
        db.execute("PRAGMA busy_timeout = 10000")
        return db

    def _recent(self, db, kind: str, key: str, now: float) -> list[float]:
        rows = db.execute("SELECT at FROM failures WHERE kind = ? AND key = ? AND at > ? ORDER BY at",
                          (kind, key, now - self.window_s)).fetchall()
        return [at for (at,) in rows]

    def _lock_until(self, failures: list[float], limit: int) -> float | None:
        return failures[-1] + self.lock_s if len(failures) >= limit else None

    def locked_for_s(self, name: str, address: str | None, *, now: float | None = None,
                     address_exempt: bool = False) -> float:
        """Seconds until ``name`` may try again from ``address``; 0 when it may now. ``address``: None when the
        client's address is not known (no address lock then); ``address_exempt``: the address's lock does not apply
        (a lecturer's name: the account's own lock still does)."""
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            return self._locked_for_s(db, name_key(name), address, now, address_exempt)

    def _locked_for_s(self, db, key: str, address: str | None, now: float, address_exempt: bool) -> float:
        until = [self._lock_until(self._recent(db, ACCOUNT, key, now), self.account_limit)]
        if address is not None and not address_exempt:
            until.append(self._lock_until(self._recent(db, ADDRESS, address, now), self.address_limit))
        return max([u - now for u in until if u is not None and u > now], default=0.0)

    def _delay_for(self, failures: int) -> float:
        extra = failures - self.free_failures
        return 0.0 if extra < 0 else min(self.max_delay_s, 2.0 ** extra)

    def delay_s(self, name: str, *, now: float | None = None) -> float:
        """How long the next attempt of ``name`` waits before it is checked (grows with its recent failures)."""
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            return self._delay_for(len(self._recent(db, ACCOUNT, name_key(name), now)))

    def attempt(self, name: str, address: str | None, *, now: float | None = None,
                address_exempt: bool = False) -> Attempt:
        """Take the right to check one password of ``name``, in one transaction with the lock check: the attempt is
        recorded as a failure *before* the password is checked, so any number of sessions or servers guessing at once
        get at most ``account_limit`` checks per account within the window. Call :meth:`settle` with the outcome (a
        right password forgives the failures; a wrong one leaves this one counted).

        The returned :class:`Attempt` says whether the check may go ahead (``locked_for_s`` 0) and how long to wait
        first (``delay_s``, from the failures before this one)."""
        now = time.time() if now is None else now
        key = name_key(name)
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                locked = self._locked_for_s(db, key, address, now, address_exempt)
                if locked > 0:
                    return Attempt(key, address, locked_for_s=locked)
                before = len(self._recent(db, ACCOUNT, key, now))
                db.execute("INSERT INTO failures (kind, key, at) VALUES (?, ?, ?)", (ACCOUNT, key, now))
                row = None
                if address is not None:
                    row = db.execute("INSERT INTO failures (kind, key, at) VALUES (?, ?, ?)",
                                     (ADDRESS, address, now)).lastrowid
                db.execute("DELETE FROM failures WHERE at < ?", (now - 2 * max(self.window_s, self.lock_s),))
            finally:
                db.execute("COMMIT")
        return Attempt(key, address, delay_s=self._delay_for(before), address_row=row)

    def settle(self, attempt: Attempt, *, ok: bool) -> None:
        """The outcome of an :meth:`attempt`'s check: a right password clears the account's failures (and this
        attempt's own mark against its address; not the address's other failures, so that one student who knows their
        own password cannot reset the count of a guesser spraying other accounts from the same place); a wrong one
        stays counted (it was recorded when the attempt was taken)."""
        if ok and attempt.allowed:
            with closing(self._connect()) as db:
                db.execute("DELETE FROM failures WHERE (kind = ? AND key = ?) OR rowid = ?",
                           (ACCOUNT, attempt.key, attempt.address_row))

    def unlock(self, kind: str, key: str) -> int:
        """Forget the failures of one account (by its name, compared as :func:`name_key` does) or address (the
        lecturer's Unlock); how many failures were forgotten."""
        if kind not in (ACCOUNT, ADDRESS):
            raise ValueError(f"kind must be {ACCOUNT!r} or {ADDRESS!r}, got {kind!r}")
        with closing(self._connect()) as db:
            return db.execute("DELETE FROM failures WHERE kind = ? AND key = ?",
                              (kind, name_key(key) if kind == ACCOUNT else key.strip())).rowcount

    def locks(self, *, now: float | None = None) -> list[Lock]:
        """Every account and address locked now, the longest lock first."""
        now = time.time() if now is None else now
        found = []
        with closing(self._connect()) as db:
            keys = db.execute("SELECT DISTINCT kind, key FROM failures WHERE at > ?", (now - self.window_s,)).fetchall()
            for kind, key in keys:
                failures = self._recent(db, kind, key, now)
                until = self._lock_until(failures, self.account_limit if kind == ACCOUNT else self.address_limit)
                if until is not None and until > now:
                    found.append(Lock(kind, key, until, len(failures)))
        return sorted(found, key=lambda lock: -lock.until)
