"""Sign-in: roster passwords (hashed, wrong ones refused), a proxy's header, an OIDC user, the single-user token."""

import pytest

from lib.access.identity import (SignInError, hash_password, oidc_identity, proxy_identity, roster_sign_in,
                                 token_identity, verify_password)


@pytest.fixture(scope="module")
def users():
    return {"ada": hash_password("lecture-notes"), "bob": hash_password("student-pass")}


def test_a_password_is_stored_salted_and_hashed_never_in_clear():
    one, two = hash_password("lecture-notes"), hash_password("lecture-notes")
    assert "lecture-notes" not in one and one != two  # a new salt each time
    assert verify_password("lecture-notes", one) and verify_password("lecture-notes", two)
    assert not verify_password("lecture-note", one)
    assert not verify_password("lecture-notes", "plain-text-password") and not verify_password("x", "scrypt$1$2")
    with pytest.raises(ValueError, match="at least 6 characters"):
        hash_password("12345")


def test_roster_sign_in_gives_the_role_and_refuses_wrong_passwords_alike(users):
    ada = roster_sign_in(users, ["ada"], "ada", "lecture-notes")
    assert (ada.name, ada.role, ada.how, ada.owner) == ("ada", "lecturer", "roster", "user:ada")
    assert roster_sign_in(users, ["ada"], " bob ", "student-pass").role == "student"
    with pytest.raises(SignInError) as wrong:
        roster_sign_in(users, ["ada"], "bob", "lecture-notes")
    with pytest.raises(SignInError) as unknown:
        roster_sign_in(users, ["ada"], "mallory", "student-pass")
    assert str(wrong.value) == str(unknown.value)  # which part was wrong is not told
    with pytest.raises(SignInError):
        roster_sign_in(users, ["ada"], "bob", "")


def test_a_proxy_names_the_user_in_its_header():
    assert proxy_identity({"x-forwarded-user": "ada"}, "X-Forwarded-User", ["ada"]).is_lecturer
    carol = proxy_identity({"X-Forwarded-User": "carol"}, "X-Forwarded-User", ["ada"])
    assert (carol.role, carol.how, carol.owner) == ("student", "proxy", "user:carol")
    assert proxy_identity({"Host": "x"}, "X-Forwarded-User", []) is None
    assert proxy_identity({"X-Forwarded-User": "  "}, "X-Forwarded-User", []) is None
    with pytest.raises(ValueError, match="user name"):
        proxy_identity({"X-Forwarded-User": "../../etc"}, "X-Forwarded-User", [])


def test_an_oidc_user_is_their_email_else_their_subject():
    assert oidc_identity({"is_logged_in": False}, []) is None
    assert oidc_identity({}, []) is None
    ada = oidc_identity({"is_logged_in": True, "email": "ada@uni.example", "sub": "123"}, ["ada@uni.example"])
    assert (ada.name, ada.role, ada.owner) == ("ada@uni.example", "lecturer", "user:ada@uni.example")
    assert oidc_identity({"is_logged_in": True, "sub": "abc-123"}, []).name == "abc-123"


def test_a_token_owns_runs_under_itself_and_can_never_be_a_signed_in_owner():
    me = token_identity("0" * 32)
    assert me.owner == "0" * 32 and not me.is_lecturer
    for forged in ("user:ada", "shared", "0" * 31, ""):  # a signed-in user's or the shared runs' owner
        with pytest.raises(ValueError, match="32 hex digits"):
            token_identity(forged)
