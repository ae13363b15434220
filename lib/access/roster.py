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

from lib.access.identity import GENERATED, check_name, find_user, hash_password, name_key
from lib.access.policy import ClassFileError, ClassSettings
from lib.atomic import atomic_path

MAX_ROSTER_BYTES = 4 * 1024 * 1024  # a roster of 10,000 names is about 300 KB
MAX_FIELD = 1024  # characters in one field of a roster row (a name is at most 64)

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
        No ``name`` column, an empty or unusable name, an unknown role, a name twice (compared without regard to
        case), a field longer than :data:`MAX_FIELD`, a file larger than :data:`MAX_ROSTER_BYTES`: naming the row.

    Examples
    --------
    >>> read_roster("name,role\\nZoë O'Brien,student\\nAda Lovelace,lecturer\\n")
    [("Zoë O'Brien", 'student'), ('Ada Lovelace', 'lecturer')]
    """
    if len(text) > MAX_ROSTER_BYTES:
        raise ValueError(f"{where} is larger than {MAX_ROSTER_BYTES // (1024 * 1024)} MB: a roster holds names and "
                         "roles only")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # a spreadsheet's byte-order mark is not a name
    previous = csv.field_size_limit(MAX_FIELD)
    try:
        return _rows(reader, where)
    except csv.Error as exc:
        raise ValueError(f"{where}, row {reader.line_num + 1}: cannot be read as CSV ({exc}; a field may be at most "
                         f"{MAX_FIELD} characters)") from None
    finally:
        csv.field_size_limit(previous)


def _rows(reader: csv.DictReader, where: str) -> list[tuple[str, str]]:
    if not reader.fieldnames or "name" not in [(f or "").strip().lower() for f in reader.fieldnames]:
        raise ValueError(f"{where} needs a header with a name column (and optionally role)")
    found, seen = [], {}
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
        if name_key(name) in seen:
            twin = seen[name_key(name)]
            raise ValueError(f"{where}, row {number}: {name} is listed twice"
                             + (f" (as {twin} too: names are compared without regard to case)" if twin != name else ""))
        seen[name_key(name)] = name
        found.append((name, role))
    if not found:
        raise ValueError(f"{where} lists nobody")
    return found


def prepare_passwords(settings: ClassSettings, rows: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """A generated password and its hash for every row whose name is not in ``settings`` yet: {name_key: (password,
    hash)}. The slow part of an import, done before the class file's lock is taken (:func:`import_roster` takes it)."""
    prepared, known = {}, {name_key(n) for n in settings.users}
    for name, _ in rows:
        if name_key(name) not in known:
            password = new_password()
            prepared[name_key(name)] = (password, hash_password(password, cost=GENERATED))
    return prepared


def import_roster(settings: ClassSettings, rows: list[tuple[str, str]], *,
                  prepared: dict[str, tuple[str, str]] | None = None) -> tuple[ClassSettings, list[tuple[str, str]]]:
    """The class with every new name added (a generated password each, a lecturer role where the roster says so),
    and the new (name, password) pairs; names already in the class (compared without regard to case) are left as they
    are. ``prepared``: passwords made beforehand by :func:`prepare_passwords`, so that this step (under the class
    file's lock) only merges."""
    users, lecturers, created = dict(settings.users), list(settings.lecturers), []
    keys = {name_key(n) for n in users}
    prepared = prepared or {}
    for name, role in rows:
        if name_key(name) in keys:
            continue
        password, stored = prepared.get(name_key(name)) or (None, None)
        if password is None:  # added to the file's rows after the passwords were prepared (or none were)
            password = new_password()
            stored = hash_password(password, cost=GENERATED)
        users[name] = stored
        keys.add(name_key(name))
        created.append((name, password))
        if role == "lecturer" and name not in lecturers:
            lecturers.append(name)
    auth = settings.auth if settings.auth != "token" else "roster"  # importing a roster makes the laptop a class
    return replace(settings, auth=auth, users=users, lecturers=tuple(lecturers)), created


def reset_password(settings: ClassSettings, name: str) -> tuple[ClassSettings, str]:
    """A new generated password for ``name``; KeyError-free: ClassFileError when the class has no such user."""
    found = find_user(settings.users, name)
    if found is None:
        raise ClassFileError(f"the class has no user {name!r}")
    password = new_password()
    return replace(settings, users={**settings.users, found: hash_password(password, cost=GENERATED)}), password


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
