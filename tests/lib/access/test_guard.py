"""Failed sign-ins counted where every session and server sees them: the limits hold under concurrency and spoofing."""

from __future__ import annotations

import sqlite3

from lib.access.guard import ACCOUNT, ADDRESS, SignInGuard
from lib.access.identity import hash_password, roster_sign_in, SignInError
from tests.helpers.concurrency import all_at_once


def _guess(guard: SignInGuard, name: str, password: str, users: dict, checked: list, address: str | None = "10.0.0.9",
           lecturers=()) -> bool:
    """One sign-in as the page makes it: take an attempt, check the password if allowed, settle."""
    attempt = guard.attempt(name, address, address_exempt=name in lecturers)
    if not attempt.allowed:
        return False
    checked.append(password)
    try:
        roster_sign_in(users, lecturers, name, password)
    except SignInError:
        guard.settle(attempt, ok=False)
        return False
    guard.settle(attempt, ok=True)
    return True


def test_thirty_guesses_at_once_get_at_most_five_password_checks(tmp_path):
    """The lock check and the recorded failure are one transaction: 30 threads with their own connections (as 30
    sessions on several servers would be) can check at most five passwords of one account; the right password sent
    after the burst is refused unchecked."""
    guard = SignInGuard(tmp_path / "sign-in.sqlite3", max_delay_s=0.0)
    users = {"bob": hash_password("right-password")}
    checked = []
    assert all_at_once(30, lambda i: _guess(guard, "bob", f"guess-{i}", users, checked)) == []
    assert len(checked) == 5, len(checked)
    assert not _guess(guard, "bob", "right-password", users, checked) and len(checked) == 5
    assert guard.locked_for_s("bob", None) > 0


def test_a_burst_holding_the_right_password_signs_in_only_if_it_was_among_the_five_checked(tmp_path):
    guard = SignInGuard(tmp_path / "sign-in.sqlite3", max_delay_s=0.0)
    users = {"bob": hash_password("right-password")}
    checked, signed = [], []

    def one(i: int) -> None:
        if _guess(guard, "bob", "right-password" if i == 29 else f"guess-{i}", users, checked):
            signed.append(i)

    assert all_at_once(30, one) == []
    right_at = checked.index("right-password") if "right-password" in checked else None
    assert (right_at is not None) == bool(signed)
    wrong_before = checked[:right_at] if right_at is not None else checked
    assert len(wrong_before) <= 4 if signed else len(checked) == 5


def test_without_an_address_failures_lock_accounts_never_everybody(tmp_path):
    """Loopback clients (and clients behind an untrusted proxy) have no address: 40 failures with made-up names lock
    no "unknown" bucket, so the lecturer's right password still signs in."""
    guard = SignInGuard(tmp_path / "sign-in.sqlite3", max_delay_s=0.0)
    users = {"ada": hash_password("lecture-notes")}
    for i in range(40):
        assert not _guess(guard, f"made-up-{i}", "whatever", users, [], address=None)
    assert not [lock for lock in guard.locks() if lock.kind == ADDRESS]
    assert _guess(guard, "ada", "lecture-notes", users, [], address=None, lecturers=("ada",))


def test_a_locked_address_refuses_students_but_not_a_lecturers_right_password(tmp_path):
    """20 failures from one address lock it (a guesser spraying many accounts from one computer); the lecturer in the
    same lecture hall still signs in (their own account's lock still applies), and the lock can be lifted by address."""
    guard = SignInGuard(tmp_path / "sign-in.sqlite3", max_delay_s=0.0)
    users = {"ada": hash_password("lecture-notes"), "bob": hash_password("student-pass")}
    for i in range(20):
        _guess(guard, f"spray-{i}", "x", users, [], address="10.1.2.3")
    assert [(lock.kind, lock.key) for lock in guard.locks() if lock.kind == ADDRESS] == [(ADDRESS, "10.1.2.3")]
    assert not _guess(guard, "bob", "student-pass", users, [], address="10.1.2.3", lecturers=("ada",))
    assert _guess(guard, "ada", "lecture-notes", users, [], address="10.1.2.3", lecturers=("ada",))
    assert _guess(guard, "bob", "student-pass", users, [], address="10.9.9.9", lecturers=("ada",))  # elsewhere
    assert guard.unlock(ADDRESS, "10.1.2.3") == 20
    assert _guess(guard, "bob", "student-pass", users, [], address="10.1.2.3", lecturers=("ada",))


def test_case_twins_and_huge_names_count_against_one_short_key(tmp_path):
    """BOB, Bob and bob are one account to the guard; a name of a megabyte is stored as its first 64 characters, so
    the file does not grow with what a guesser types."""
    guard = SignInGuard(tmp_path / "sign-in.sqlite3", max_delay_s=0.0)
    for name in ("BOB", "Bob", "bob", " bob ", "B\u200bob"[:1] + "OB"):
        guard.attempt(name, None)
    assert guard.locked_for_s("bob", None) > 0
    huge = "x" * 1_000_000
    for _ in range(3):
        guard.attempt(huge, None)
    with sqlite3.connect(tmp_path / "sign-in.sqlite3") as db:
        longest = db.execute("SELECT MAX(LENGTH(key)) FROM failures").fetchone()[0]
    assert longest == 64
    assert (tmp_path / "sign-in.sqlite3").stat().st_size < 100_000


def test_delays_grow_with_the_failures_before_the_attempt(tmp_path):
    guard = SignInGuard(tmp_path / "sign-in.sqlite3", account_limit=10, free_failures=2, max_delay_s=8.0)
    delays = [guard.attempt("carol", None, now=1000.0 + i).delay_s for i in range(7)]
    assert delays == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_a_right_password_forgives_and_unlock_by_name_ignores_case(tmp_path):
    guard = SignInGuard(tmp_path / "sign-in.sqlite3", max_delay_s=0.0)
    users = {"Bob": hash_password("student-pass")}
    for i in range(4):
        _guess(guard, "bob", f"guess-{i}", users, [])
    assert _guess(guard, "BOB", "student-pass", users, [])
    assert guard.delay_s("bob") == 0.0
    for i in range(5):
        _guess(guard, "bob", f"guess-{i}", users, [])
    assert guard.locked_for_s("Bob", None) > 0
    assert guard.unlock(ACCOUNT, "BOB") == 5
    assert guard.locked_for_s("bob", None) == 0
