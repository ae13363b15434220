"""Setting a class up in minutes: a roster CSV in, generated passwords out.

The CSV has a header with ``name`` and optionally ``role`` (``student`` or ``lecturer``); names may hold spaces,
accents and apostrophes (``Zoë O'Brien``). Importing adds every name not in the class yet with a generated password
and leaves the others as they are, so importing the same file again adds nobody twice. The new passwords are handed
back once, to be written to a file (``name,password``, readable by its owner only) or downloaded from the Class page;
the class file keeps only their hashes.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from dataclasses import replace
from pathlib import Path

from lib.access.identity import check_name, hash_password
from lib.access.policy import ClassFileError, ClassSettings
from lib.atomic import atomic_path

# No 0 / O, 1 / l / I: a password read off a printed list is typed right the first time.
ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY23456789"


def new_password(length: int = 12) -> str:
    """A random password of ``length`` characters (about 5.7 bits each: 68 bits for 12), grouped by four with dashes.

    Examples
    --------
    >>> password = new_password()
    >>> len(password), password.count("-")
    (14, 2)
    """
    raw = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return "-".join(raw[i:i + 4] for i in range(0, length, 4))


def read_roster(text: str, *, where: str = "the roster") -> list[tuple[str, str]]:
    """(name, role) of every row of a roster CSV's ``text``.

    Raises
    ------
    ValueError
        No ``name`` column, an empty or unusable name, an unknown role, a name twice: naming the row.

    Examples
    --------
    >>> read_roster("name,role\\nZoë O'Brien,student\\nAda Lovelace,lecturer\\n")
    [("Zoë O'Brien", 'student'), ('Ada Lovelace', 'lecturer')]
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # a spreadsheet's byte-order mark is not a name
    if not reader.fieldnames or "name" not in [(f or "").strip().lower() for f in reader.fieldnames]:
        raise ValueError(f"{where} needs a header with a name column (and optionally role)")
    found, seen = [], set()
    for number, row in enumerate(reader, start=2):
        columns = {(k or "").strip().lower(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}
        if not columns.get("name"):
            continue  # a blank line at the end of a spreadsheet's export
        try:
            name = check_name(columns["name"])
        except ValueError as exc:
            raise ValueError(f"{where}, row {number}: {exc}") from None
        role = columns.get("role") or "student"
        if role not in ("student", "lecturer"):
            raise ValueError(f"{where}, row {number}: role must be student or lecturer, got {role!r}")
        if name in seen:
            raise ValueError(f"{where}, row {number}: {name} is listed twice")
        seen.add(name)
        found.append((name, role))
    if not found:
        raise ValueError(f"{where} lists nobody")
    return found


def import_roster(settings: ClassSettings, rows: list[tuple[str, str]]) -> tuple[ClassSettings, list[tuple[str, str]]]:
    """The class with every new name added (a generated password each, a lecturer role where the roster says so),
    and the new (name, password) pairs; names already in the class are left as they are."""
    users, lecturers, created = dict(settings.users), list(settings.lecturers), []
    for name, role in rows:
        if name in users:
            continue
        password = new_password()
        users[name] = hash_password(password)
        created.append((name, password))
        if role == "lecturer" and name not in lecturers:
            lecturers.append(name)
    auth = settings.auth if settings.auth != "token" else "roster"  # importing a roster makes the laptop a class
    return replace(settings, auth=auth, users=users, lecturers=tuple(lecturers)), created


def reset_password(settings: ClassSettings, name: str) -> tuple[ClassSettings, str]:
    """A new generated password for ``name``; KeyError-free: ClassFileError when the class has no such user."""
    if name not in settings.users:
        raise ClassFileError(f"the class has no user {name!r}")
    password = new_password()
    return replace(settings, users={**settings.users, name: hash_password(password)}), password


def passwords_csv(created: list[tuple[str, str]]) -> str:
    """The list to hand out: ``name,password`` per line, under that header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "password"])
    writer.writerows(created)
    return out.getvalue()


def write_passwords(path: str | Path, created: list[tuple[str, str]]) -> Path:
    """Write the password list atomically, readable and writable by its owner only (0600)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(passwords_csv(created))
    return path


def remove_user(settings: ClassSettings, name: str) -> ClassSettings:
    """The class without ``name`` (their password and their lecturer role); their runs stay on disk."""
    return replace(settings, users={k: v for k, v in settings.users.items() if k != name},
                   lecturers=tuple(n for n in settings.lecturers if n != name))
