"""Setting a class up from a roster CSV, resetting and removing users, and changes that two people make at once."""

import csv
import hashlib
import hmac
import json
import multiprocessing
import stat

import pytest

from lib.access.identity import hash_password
from lib.access.policy import ClassSettings, load_class, save_class
from lib.access.roster import new_password, read_roster
from lib.access.sessions import Sessions
from lib.cli import main
from tests.helpers.class_file import add_user

ROSTER = "name,role\nZoë O'Brien,student\nAda Lovelace,lecturer\nJean-Luc Picard,\n"


def _matches(password: str, stored: str) -> bool:
    """The scrypt check done here from the stored parameters (not by the code under test)."""
    scheme, n, r, p, salt, digest = stored.split("$")
    assert scheme == "scrypt"
    computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                              dklen=len(bytes.fromhex(digest)))
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def _class(tmp_path, *argv):
    return main(["class", "--file", str(tmp_path / "class.json"), *argv])


def test_import_adds_everyone_with_a_private_password_list_and_twice_adds_nobody(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text("\ufeff" + ROSTER, encoding="utf-8")  # a spreadsheet's byte-order mark
    assert _class(tmp_path, "import", str(tmp_path / "roster.csv"), "--passwords", str(tmp_path / "out.csv")) == 0
    out = tmp_path / "out.csv"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    handed = {row["name"]: row["password"] for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(handed) == {"Zoë O'Brien", "Ada Lovelace", "Jean-Luc Picard"}
    assert len(set(handed.values())) == 3
    settings = load_class(tmp_path / "class.json")
    assert settings.auth == "roster" and settings.lecturers == ("Ada Lovelace",)
    for name, password in handed.items():
        assert _matches(password, settings.users[name]), name
        assert not _matches(password + "x", settings.users[name])
    assert "3 new user(s), 0 already" in capsys.readouterr().err

    assert _class(tmp_path, "import", str(tmp_path / "roster.csv"), "--passwords", str(tmp_path / "again.csv")) == 0
    assert not (tmp_path / "again.csv").exists()  # nobody new: no list
    assert load_class(tmp_path / "class.json").users == settings.users  # and nobody's password changed
    assert "0 new user(s), 3 already" in capsys.readouterr().err


def test_import_never_overwrites_a_password_list(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "out.csv").write_text("name,password\nsomeone,not-handed-out-yet\n")
    assert _class(tmp_path, "import", str(tmp_path / "roster.csv"), "--passwords", str(tmp_path / "out.csv")) == 1
    assert "out.csv exists already" in capsys.readouterr().err
    assert "not-handed-out-yet" in (tmp_path / "out.csv").read_text()
    assert not (tmp_path / "class.json").exists()


@pytest.mark.parametrize("text, message", [
    ("who\nbob\n", "needs a header with a name column"),
    ("name,role\nbob,dean\n", "row 2: role must be student or lecturer, got 'dean'"),
    ("name\nbob\nbob\n", "row 3: bob is listed twice"),
    ("name\nbob/../x\n", "row 2:"),
    ("name\n\n", "lists nobody"),
])
def test_a_bad_roster_names_its_row_and_adds_nobody(tmp_path, capsys, text, message):
    (tmp_path / "roster.csv").write_text(text, encoding="utf-8")
    assert _class(tmp_path, "import", str(tmp_path / "roster.csv"), "--passwords", str(tmp_path / "out.csv")) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "class.json").exists()


def test_reset_and_remove_end_the_users_sessions(tmp_path, capsys):
    save_class(ClassSettings(auth="roster", lecturers=("ada",), users={"ada": hash_password("ada-pass"),
                                                                      "bob": hash_password("bob-pass")}),
               tmp_path / "class.json")
    sessions = Sessions(tmp_path / "sign-in.sqlite3")
    bob_session, _ = sessions.open("bob", load_class(tmp_path / "class.json").users["bob"])
    assert _class(tmp_path, "reset-password", "bob") == 0
    err = capsys.readouterr().err
    password = err.split("(shown once): ")[1].split()[0]
    users = load_class(tmp_path / "class.json").users
    assert _matches(password, users["bob"]) and not _matches("bob-pass", users["bob"])
    assert sessions.user(bob_session, users) is None

    ada_session, _ = sessions.open("ada", users["ada"])
    assert _class(tmp_path, "remove-user", "ada") == 0
    assert sessions.user(ada_session, {**load_class(tmp_path / "class.json").users, "ada": users["ada"]}) is None
    assert _class(tmp_path, "remove-user", "nobody") == 1
    assert "no user 'nobody'" in capsys.readouterr().err


def test_changes_made_at_once_all_count(tmp_path):
    """Eight processes add a user each at the same moment (scrypt keeps each change ~0.1 s long): with a plain
    read-change-write, most of them would overwrite each other."""
    path = tmp_path / "class.json"
    save_class(ClassSettings(auth="roster", users={"ada": hash_password("ada-pass")}), path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=add_user, args=(path, f"student{i}")) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    assert set(json.loads(path.read_text())["users"]) == {"ada", *(f"student{i}" for i in range(8))}


def test_generated_passwords_avoid_lookalikes():
    drawn = "".join(new_password() for _ in range(200)).replace("-", "")
    assert not set(drawn) & set("0O1lI")
    assert len(set(drawn)) > 40  # drawn from the whole alphabet, not a few letters
    assert read_roster("name\nZoë O'Brien\n") == [("Zoë O'Brien", "student")]


def test_case_and_unicode_twins_are_one_person(tmp_path, capsys):
    """bob, Bob and BOB are one account; a decomposed "Zoë" (e + combining diaeresis) is the composed one. Each name
    keeps the form it was first written in."""
    (tmp_path / "roster.csv").write_text("name\nBob\nZo\u00eb\n", encoding="utf-8")
    assert _class(tmp_path, "import", str(tmp_path / "roster.csv"), "--passwords", str(tmp_path / "out.csv")) == 0
    (tmp_path / "again.csv").write_text("name\nBOB\nbob\n", encoding="utf-8")
    assert _class(tmp_path, "import", str(tmp_path / "again.csv"), "--passwords", str(tmp_path / "out2.csv")) == 1
    assert "row 3: bob is listed twice (as BOB too" in capsys.readouterr().err
    (tmp_path / "again.csv").write_text("name\nBOB\nZoe\u0308\n", encoding="utf-8")
    assert _class(tmp_path, "import", str(tmp_path / "again.csv"), "--passwords", str(tmp_path / "out2.csv")) == 0
    assert "0 new user(s), 2 already" in capsys.readouterr().err
    settings = load_class(tmp_path / "class.json")
    assert sorted(settings.users) == ["Bob", "Zo\u00eb"]
    handed = {row["name"]: row["password"] for row in csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8"))}
    from lib.access.identity import roster_sign_in

    assert roster_sign_in(settings.users, (), "bOb", handed["Bob"]).name == "Bob"
    assert roster_sign_in(settings.users, (), "Zoe\u0308", handed["Zo\u00eb"]).name == "Zo\u00eb"
    assert _class(tmp_path, "reset-password", "BOB") == 0  # found whatever the case
    assert "Bob's new password" in capsys.readouterr().err


def test_a_class_file_with_case_twins_is_refused(tmp_path):
    from lib.access.policy import ClassFileError, parse_class

    with pytest.raises(ClassFileError, match="'bob' and 'Bob' are the same name"):
        parse_class({"auth": "roster", "users": {"bob": hash_password("secret-1"), "Bob": hash_password("secret-2")}})


def test_a_field_over_the_limit_is_a_message_naming_the_row(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text("name,role\nada,student\n" + "x" * 200_000 + ",student\n", encoding="utf-8")
    assert _class(tmp_path, "import", str(tmp_path / "roster.csv"), "--passwords", str(tmp_path / "out.csv")) == 1
    err = capsys.readouterr().err
    assert "roster.csv, row 3: cannot be read as CSV" in err and "Traceback" not in err
    assert not (tmp_path / "class.json").exists()
    with pytest.raises(ValueError, match="larger than 4 MB"):
        read_roster("name\n" + "a\n" * 3_000_000)


def test_ten_thousand_students_are_imported_with_the_lock_held_only_to_write(tmp_path, monkeypatch):
    """The passwords are made before the class file's lock is taken; under the lock the import only merges."""
    from lib.access import policy, roster

    rows = [(f"student {i:05d}", "student") for i in range(10_000)]
    settings = ClassSettings(auth="roster", users={"ada": hash_password("ada-pass")})
    prepared = roster.prepare_passwords(settings, rows)
    hashed = []
    monkeypatch.setattr(roster, "hash_password", lambda *a, **k: hashed.append(1) or "scrypt$x")
    merged, created = roster.import_roster(settings, rows, prepared=prepared)
    assert not hashed  # nothing slow left for the locked step
    assert len(created) == 10_000 and len(merged.users) == 10_001
    name, password = created[1234]
    assert _matches(password, merged.users[name])
    assert merged.users[name].startswith("scrypt$512$")  # a generated password's light cost (68 random bits)
    assert policy.parse_class(merged.to_json()).users == merged.users


def test_unlock_by_account_or_address_from_the_command_line(tmp_path, capsys):
    from lib.access.guard import SignInGuard

    save_class(ClassSettings(auth="roster", users={"ada": hash_password("ada-pass")}), tmp_path / "class.json")
    guard = SignInGuard(tmp_path / "sign-in.sqlite3")
    for i in range(20):
        guard.attempt(f"made-up-{i}", "10.0.0.7")  # a wrong password: the attempt stays counted
    for _ in range(5):
        guard.attempt("Ada", "10.0.0.8")
    assert _class(tmp_path, "unlock", "--address", "10.0.0.7") == 0
    assert "unlocked address '10.0.0.7' (20 failed sign-in(s) forgotten)" in capsys.readouterr().err
    assert _class(tmp_path, "unlock", "ADA") == 0
    assert "unlocked account 'ADA' (5 failed" in capsys.readouterr().err
    assert guard.locks() == []
    assert _class(tmp_path, "unlock", "--address", "10.0.0.7") == 0
    assert "nothing to unlock" in capsys.readouterr().err
