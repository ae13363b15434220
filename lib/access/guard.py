"""Sign-in failures counted where every session and every app server sees them: per account and per client address,
in a small SQLite file beside the class file, with growing delays and a temporary lockout.

A Streamlit session is cheap to open, so a slowdown kept in the session slows nobody down: a guesser opens a new one.
Here the counts live on disk. The rules (defaults):

- after 2 failures of an account within the window, each further attempt waits 1, 2, 4, 8 s before it is checked;
- 5 failures of an account within 15 minutes lock it for 15 minutes from the last one, whatever the password (the
  lecturer can unlock it on the Class page); 20 failures from one address lock that address the same way;
- a successful sign-in clears the account's failures (and the address's).

So a scripted guesser gets at most 5 guesses per account per 15 minutes, from any number of sessions or servers.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

ACCOUNT, ADDRESS = "account", "address"


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

    def locked_for_s(self, name: str, address: str, *, now: float | None = None) -> float:
        """Seconds until ``name`` may try again from ``address``; 0 when it may now."""
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            until = [self._lock_until(self._recent(db, ACCOUNT, name, now), self.account_limit),
                     self._lock_until(self._recent(db, ADDRESS, address, now), self.address_limit)]
        return max([u - now for u in until if u is not None and u > now], default=0.0)

    def delay_s(self, name: str, *, now: float | None = None) -> float:
        """How long the next attempt of ``name`` waits before it is checked (grows with its recent failures)."""
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            failures = len(self._recent(db, ACCOUNT, name, now))
        extra = failures - self.free_failures
        return 0.0 if extra < 0 else min(self.max_delay_s, 2.0 ** extra)

    def failed(self, name: str, address: str, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO failures (kind, key, at) VALUES (?, ?, ?)",
                           [(ACCOUNT, name, now), (ADDRESS, address, now)])
            db.execute("DELETE FROM failures WHERE at < ?", (now - 2 * max(self.window_s, self.lock_s),))
            db.execute("COMMIT")

    def succeeded(self, name: str, address: str) -> None:
        """A right password: the account's failures and the address's are forgiven."""
        with closing(self._connect()) as db:
            db.execute("DELETE FROM failures WHERE (kind = ? AND key = ?) OR (kind = ? AND key = ?)",
                       (ACCOUNT, name, ADDRESS, address))

    def unlock(self, kind: str, key: str) -> None:
        """Forget the failures of one account or address (the lecturer's Unlock)."""
        with closing(self._connect()) as db:
            db.execute("DELETE FROM failures WHERE kind = ? AND key = ?", (kind, key))

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
