"""The class: its settings file, who may see and control which run, and the limits that keep one student from
taking the whole server.

The class file (``DLMI_CLASS_FILE``, default ``<data>/class.json``; without one the app runs in ``token`` mode for a
single user) holds::

    {"auth": "roster",                      # token | roster | proxy | oidc (lib.access.identity)
     "proxy_header": "X-Forwarded-User",    # proxy mode: the header the proxy sets
     "proxy_secret": "<sha256>",           # proxy mode: the hash of the secret the proxy adds (X-Proxy-Secret)
     "lecturers": ["ada"],                  # user names (oidc: e-mails) with the lecturer role
     "users": {"ada": "scrypt$...", ...},   # roster mode: password hashes (python -m lib class add-user)
     "max_active_runs": 2,                  # per student: runs waiting or running at once
     "caps": {"epochs": [null, 50], ...}}   # per student: [lowest, highest] of a setting (null: no bound); a
                                            # setting the file does not name keeps the bound its task declares
                                            # (lib.contract.Field.cap)

It is written atomically and readable by the server's user only (it holds password hashes). A file that cannot
be read is an error that names it, never a silent fall back to single-user mode.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping

from lib import paths
from lib.access.identity import AUTH_MODES, Identity, check_name, name_key
from lib.atomic import atomic_path
from lib.text import number

DEFAULT_MAX_ACTIVE = 2


class ClassFileError(ValueError):
    """The class file cannot be used; the message names the file and the field."""


class LimitError(ValueError):
    """A run the class's limits do not allow; the message says which limit and what to do."""


@dataclass(frozen=True)
class ClassSettings:
    auth: str = "token"
    proxy_header: str = "X-Forwarded-User"
    proxy_secret: str | None = None  # the SHA-256 of the shared secret the proxy sends (lib.access.identity)
    lecturers: tuple[str, ...] = ()
    users: Mapping[str, str] = field(default_factory=dict)
    max_active_runs: int = DEFAULT_MAX_ACTIVE
    caps: Mapping[str, tuple] = field(default_factory=dict)  # the class file's own bounds, by setting
    path: Path | None = None  # where it was read from (None: no class file, single-user mode)

    @property
    def is_class(self) -> bool:
        """True when people sign in (any mode but ``token``): limits and roles apply."""
        return self.auth != "token"

    def to_json(self) -> dict:
        return {"auth": self.auth, "proxy_header": self.proxy_header, "proxy_secret": self.proxy_secret,
                "lecturers": list(self.lecturers),
                "users": dict(self.users), "max_active_runs": self.max_active_runs,
                "caps": {name: list(bounds) for name, bounds in self.caps.items()}}


def class_file(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("DLMI_CLASS_FILE") or paths.data_dir(env) / "class.json")


def _bound(value, where: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClassFileError(f"{where} must be a number or null, got {value!r}")
    return value


def parse_class(data, where: str = "class.json") -> ClassSettings:
    """Check a class file's content; :class:`ClassFileError` naming ``where`` and the field otherwise."""
    if not isinstance(data, dict):
        raise ClassFileError(f"{where} must hold a JSON object")
    unknown = sorted(set(data) - {"auth", "proxy_header", "proxy_secret", "lecturers", "users", "max_active_runs",
                                  "caps"})
    if unknown:
        raise ClassFileError(f"{where} has unknown field(s) {', '.join(unknown)}")
    auth = data.get("auth", "token")
    if auth not in AUTH_MODES:
        raise ClassFileError(f"{where}: auth must be one of {', '.join(AUTH_MODES)}, got {auth!r}")
    header = data.get("proxy_header", "X-Forwarded-User")
    if not isinstance(header, str) or not header.strip():
        raise ClassFileError(f"{where}: proxy_header must be a header name, got {header!r}")
    secret = data.get("proxy_secret")
    if secret is not None and not (isinstance(secret, str) and len(secret) == 64):
        raise ClassFileError(f"{where}: proxy_secret must be the SHA-256 of the secret (python -m lib class auth proxy "
                             "--proxy-secret writes it)")
    lecturers = data.get("lecturers", [])
    users = data.get("users", {})
    if not isinstance(lecturers, list) or not isinstance(users, dict):
        raise ClassFileError(f"{where}: lecturers must be a list and users an object")
    try:
        lecturers = tuple(check_name(n) for n in lecturers)
        users = {check_name(n): h for n, h in users.items()}
    except ValueError as exc:
        raise ClassFileError(f"{where}: {exc}") from None
    seen: dict[str, str] = {}
    for name in users:
        twin = seen.setdefault(name_key(name), name)
        if twin != name:
            raise ClassFileError(f"{where}: users {twin!r} and {name!r} are the same name (names are compared without "
                                 "regard to case); remove one")
    bad = [n for n, h in users.items() if not (isinstance(h, str) and h.startswith("scrypt$"))]
    if bad:
        raise ClassFileError(f"{where}: the password of {', '.join(bad)} is not a hash (set it with "
                             "python -m lib class add-user)")
    if auth == "roster" and not users:
        raise ClassFileError(f"{where}: auth is roster but no users are listed (python -m lib class add-user NAME)")
    active = data.get("max_active_runs", DEFAULT_MAX_ACTIVE)
    if isinstance(active, bool) or not isinstance(active, int) or active < 1:
        raise ClassFileError(f"{where}: max_active_runs must be a whole number of at least 1, got {active!r}")
    caps = {}
    raw_caps = data.get("caps", {})
    if not isinstance(raw_caps, dict):
        raise ClassFileError(f"{where}: caps must be an object of setting: [lowest, highest]")
    for name, bounds in raw_caps.items():
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise ClassFileError(f"{where}: caps.{name} must be [lowest, highest], got {bounds!r}")
        caps[name] = (_bound(bounds[0], f"{where}: caps.{name}[0]"), _bound(bounds[1], f"{where}: caps.{name}[1]"))
    return ClassSettings(auth=auth, proxy_header=header.strip(), proxy_secret=secret, lecturers=lecturers, users=users,
                         max_active_runs=active, caps=caps)


def load_class(path: str | Path | None = None, *, required: bool = False) -> ClassSettings:
    """The class's settings; without a class file, single-user ``token`` mode, unless the file is ``required`` (a
    server that started with a class never falls back to single-user mode: it stops sign-in instead).

    Raises
    ------
    ClassFileError
        The file is required and missing, or it is there but not a readable regular file (a folder, a dangling
        symbolic link), or its content is wrong.
    """
    path = Path(path) if path else class_file()
    if not path.exists() and not path.is_symlink():
        if required:
            raise ClassFileError(f"the class file {path.name} is missing (this server runs a class: sign-in is off "
                                 "until it is back)")
        return ClassSettings()
    if not path.is_file():
        raise ClassFileError(f"the class file {path.name} is not a regular file (a folder, or a link to nothing)")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ClassFileError(f"the class file {path.name} cannot be read ({exc})") from None
    return replace(parse_class(data, str(path)), path=path)


def save_class(settings: ClassSettings, path: str | Path | None = None) -> Path:
    """Write the class file atomically, readable by this user only (it holds password hashes)."""
    path = Path(path or settings.path or class_file())
    parse_class(settings.to_json(), str(path))  # never write a file the next start would refuse
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(settings.to_json(), f, indent=1)
    return path


def update_class(change, path: str | Path | None = None, *, required: bool = False):
    """Read, change and write the class file under an exclusive lock (a file beside it), so that two lecturers, or the
    Class page and the command line, changing it at once both count: ``change(settings)`` returns the new settings and
    anything else to hand back, as ``(settings, result)``; the result is returned. Nothing is written when it raises."""
    path = Path(path) if path else class_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        settings, result = change(load_class(path, required=required))
        save_class(settings, path)
        return result
    finally:
        os.close(lock)  # closing releases the lock


# --- who may do what --------------------------------------------------------------------------------------------
# Seeing runs: lib.jobs.folder.store.visible_to (a lecturer sees every run; anyone else their own, the published and the
# shared ones). Stopping: a student's panel only ever follows their own runs; the Class page, for lecturers only,
# stops any run. What remains is what a student may start:


def bounds(settings: ClassSettings, declared: Mapping[str, tuple]) -> dict[str, tuple]:
    """The bounds that apply: each setting's bound from the class file, else the one its task declares
    (``declared``: {setting: (lowest, highest)}, from :attr:`lib.contract.Field.cap`)."""
    return {**{name: tuple(b) for name, b in declared.items() if b is not None}, **dict(settings.caps)}


def check_limits(settings: ClassSettings, identity: Identity, configs: Iterable[dict], *, active: int,
                 caps: Mapping[str, tuple] | None = None) -> None:
    """Raise :class:`LimitError` when a student may not start ``configs`` now: more runs than ``max_active_runs``
    waiting or running (``active`` of theirs already are), or a setting outside its bound (:func:`bounds` of the
    class file's and the task's declared ``caps``). Lecturers and a single-user laptop have no limits."""
    configs = list(configs)
    if not settings.is_class or identity.is_lecturer:
        return
    if active + len(configs) > settings.max_active_runs:
        what = "this run" if len(configs) == 1 else f"these {len(configs)} runs"
        raise LimitError(f"You have {active} run(s) waiting or running; {what} would make {active + len(configs)}, "
                         f"and each student may have at most {settings.max_active_runs} at once (the lecturer's "
                         "limit). Wait for one to end or stop one.")
    for config in configs:
        for name, (low, high) in bounds(settings, caps or {}).items():
            value = config.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if high is not None and value > high:
                raise LimitError(f"{name} = {number(value, grouping=False)} is more than this class allows ({number(high, grouping=False)}); ask the "
                                 "lecturer if you need more.")
            if low is not None and value < low:
                raise LimitError(f"{name} = {number(value, grouping=False)} is less than this class allows ({number(low, grouping=False)}); ask the "
                                 "lecturer if you need less.")
