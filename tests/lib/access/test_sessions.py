"""Reload-proof sessions: a ticket is traded once for a session id, which ends by expiry, sign-out, removal or reset."""

import stat

from lib.access.identity import hash_password
from lib.access.sessions import Sessions

BOB = hash_password("student-pass")


def test_a_ticket_is_traded_once_for_the_session_it_stands_for(tmp_path):
    sessions = Sessions(tmp_path / "sign-in.sqlite3")
    assert stat.S_IMODE((tmp_path / "sign-in.sqlite3").stat().st_mode) == 0o600
    session, ticket = sessions.open("bob", BOB, now=1000.0)
    assert session != ticket
    assert sessions.redeem(ticket, now=1010.0) == session
    assert sessions.redeem(ticket, now=1011.0) is None  # used
    assert sessions.user(session, {"bob": BOB}, now=1020.0) == "bob"
    assert sessions.user("a-guess", {"bob": BOB}, now=1020.0) is None
    assert session not in (tmp_path / "sign-in.sqlite3").read_bytes().decode(errors="replace")  # only hashes kept


def test_a_redeemed_tickets_session_id_is_not_left_in_the_files_free_pages(tmp_path):
    """A ticket's row holds the session id until it is redeemed; deleting the row must not leave the id in the file
    (SQLite keeps deleted rows' bytes in free pages unless told otherwise). Many sessions, so a page is reused."""
    sessions = Sessions(tmp_path / "sign-in.sqlite3")
    opened = [sessions.open(f"user{i}", BOB, now=1000.0) for i in range(200)]
    for _, ticket in opened:
        assert sessions.redeem(ticket, now=1001.0)
    raw = (tmp_path / "sign-in.sqlite3").read_bytes().decode(errors="replace")
    assert not [session for session, _ in opened if session in raw]


def test_a_late_ticket_opens_nothing(tmp_path):
    sessions = Sessions(tmp_path / "s.sqlite3", ticket_s=60)
    _, ticket = sessions.open("bob", BOB, now=1000.0)
    assert sessions.redeem(ticket, now=1061.0) is None


def test_a_session_ends_by_expiry_removal_reset_and_sign_out(tmp_path):
    sessions = Sessions(tmp_path / "s.sqlite3", session_s=3600)
    session, _ = sessions.open("bob", BOB, now=0.0)
    assert sessions.user(session, {"bob": BOB}, now=3599.0) == "bob"
    assert sessions.user(session, {"bob": BOB}, now=3601.0) is None
    assert sessions.user(session, {"bob": BOB}, now=10.0) is None  # an ended session stays ended

    session, _ = sessions.open("bob", BOB, now=0.0)
    assert sessions.user(session, {"ada": BOB}, now=1.0) is None  # bob removed from the class

    session, _ = sessions.open("bob", BOB, now=0.0)
    assert sessions.user(session, {"bob": hash_password("new-one")}, now=1.0) is None  # password reset

    session, _ = sessions.open("bob", BOB, now=0.0)
    other, _ = sessions.open("bob", BOB, now=0.0)
    sessions.close(session)
    assert sessions.user(session, {"bob": BOB}, now=1.0) is None
    assert sessions.user(other, {"bob": BOB}, now=1.0) == "bob"  # signing out one browser leaves the other
    sessions.close_user("bob")
    assert sessions.user(other, {"bob": BOB}, now=1.0) is None
