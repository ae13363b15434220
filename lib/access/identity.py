"""Identities: who a browser session is, and how that was established.

Four ways, chosen by the class file's ``auth`` (see :mod:`lib.access.policy`):

``token``   one person on a laptop: an unguessable token in the URL is the identity. Anyone who has the URL is
            that person, so it is only for a single user (the app says so).
``roster``  a small class: the lecturer lists user names with passwords (stored as salted scrypt hashes, never
            in clear); a session signs in with a form.
``proxy``   a reverse proxy that has already signed the user in passes the user name in a header
            (``proxy_header``, e.g. ``X-Forwarded-User``); only for a server that nobody reaches but through it.
``oidc``    Streamlit's own OpenID Connect sign-in (``st.login``) with the university's identity provider,
            configured in ``.streamlit/secrets.toml``; the identity is the provider's e-mail (else its subject).

The identity owns the runs: an owner in a run's config.json is ``user:<name>`` for a signed-in user, the bare
token for ``token`` mode, so nothing in a URL can act on a signed-in user's runs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

AUTH_MODES = ("token", "roster", "proxy", "oidc")
ROLES = ("lecturer", "student")
# A name as people write it: letters of any alphabet, digits, spaces, apostrophes and . _ @ + - (an e-mail fits);
# it starts with a letter or digit. No slashes, quotes, angle brackets or control characters.
_NAME = re.compile(r"^[^\W_][\w .'\u2019@+-]{0,63}$")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_SIGNED_IN = "user:"  # the owner of a signed-in user's runs is "user:<name>"
# scrypt's cost: about 50 ms and 16 MiB per check on a 2-core laptop: slow for guessing, quick for a sign-in
_SCRYPT = dict(n=2**14, r=8, p=1)
# A generated password (lib.access.roster.new_password: 68 random bits) needs no slow hash to resist an offline guesser
# (2**68 guesses at a millisecond each is about 10**13 years): 1 ms and 512 KiB, so that 10,000 students are hashed in
# seconds, not minutes. A password a person chose keeps the full cost.
GENERATED = dict(n=2**9, r=8, p=1)


class SignInError(ValueError):
    """A sign-in that did not succeed; the message is safe to show (it never says which part was wrong)."""


@dataclass(frozen=True)
class Identity:
    """A signed-in person (or a token's browser): ``name`` as shown, ``role`` and how it was established."""

    name: str
    role: str
    how: str

    @property
    def owner(self) -> str:
        """What run folders record as their owner."""
        return self.name if self.how == "token" else f"{_SIGNED_IN}{self.name}"

    @property
    def is_lecturer(self) -> bool:
        return self.role == "lecturer"


def owner_shown(owner: str, *, shared_owner: str = "shared") -> str:
    """Who an owner recorded in a run folder is, for people: the user's name, else what kind of owner it is.

    Examples
    --------
    >>> owner_shown("user:ada"), owner_shown("shared"), owner_shown("0" * 32)
    ('ada', 'command line', 'a browser token')
    """
    if owner.startswith(_SIGNED_IN):
        return owner[len(_SIGNED_IN):]
    return "command line" if owner == shared_owner else "a browser token"


MAX_NAME = 64  # characters of a user name; longer input is cut to this before it goes anywhere (throttle, messages)


def check_name(name: str) -> str:
    """A user name as stored: 1-64 letters (of any alphabet), digits, spaces, apostrophes or ``._@+-``, starting with
    a letter or digit; in Unicode NFC (a decomposed "Zoe\u0308" is the same name as "Zoë"), surrounding spaces dropped,
    inner runs of spaces made one. ValueError naming the value otherwise (cut to 64 characters).

    Examples
    --------
    >>> check_name("  Zoë  O'Brien "), check_name("ada@uni.example")
    ("Zoë O'Brien", 'ada@uni.example')
    >>> check_name("Zoe\u0308") == "Zo\u00eb"
    True
    """
    if not isinstance(name, str):
        raise ValueError(f"a user name must be text, got {type(name).__name__}")
    cleaned = " ".join(unicodedata.normalize("NFC", name[:4 * MAX_NAME]).split())
    if not _NAME.match(cleaned):
        shown = name if len(name) <= MAX_NAME else name[:MAX_NAME] + "..."
        raise ValueError(f"a user name must be 1-64 letters, digits, spaces, apostrophes or . _ @ + -, starting with "
                         f"a letter or digit, got {shown!r}")
    return cleaned


def name_key(name: str) -> str:
    """What two user names are compared by: Unicode NFC, case folded, spaces collapsed, at most 64 characters. "bob",
    "Bob" and "BOB" are one person; the name keeps the form it was written in everywhere it is shown.

    Examples
    --------
    >>> name_key("Bob") == name_key(" BOB ") == name_key("bob")
    True
    >>> name_key("Zoe\u0308") == name_key("ZO\u00cb"), name_key("Ada") == name_key("Adam")
    (True, False)
    """
    text = " ".join(str(name)[:4 * MAX_NAME].split())
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())[:MAX_NAME]


def find_user(users: Mapping[str, object], name: str) -> str | None:
    """The stored name in ``users`` that ``name`` stands for (compared by :func:`name_key`), or None.

    Examples
    --------
    >>> find_user({"Bob": "h"}, "bob"), find_user({"Bob": "h"}, "Rob")
    ('Bob', None)
    """
    if not name:
        return None
    if name in users:
        return name
    wanted = name_key(name)
    return next((stored for stored in users if name_key(stored) == wanted), None)


def hash_password(password: str, *, salt: bytes | None = None, cost: dict | None = None) -> str:
    """A salted scrypt hash of ``password`` as one text: ``scrypt$n$r$p$salt$hash`` (hex).

    Examples
    --------
    >>> stored = hash_password("correct horse")
    >>> stored.startswith("scrypt$16384$8$1$"), "correct horse" in stored
    (True, False)
    >>> verify_password("correct horse", stored), verify_password("wrong", stored)
    (True, False)
    """
    if not isinstance(password, str) or len(password) < 6:
        raise ValueError("a password must have at least 6 characters")
    salt = salt or secrets.token_bytes(16)
    cost = cost or _SCRYPT
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **cost)
    return f"scrypt${cost['n']}${cost['r']}${cost['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (constant-time compare; a malformed hash matches nothing)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                  dklen=len(bytes.fromhex(digest)))
    except (ValueError, AttributeError, TypeError):
        return False
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def role_of(name: str, lecturers) -> str:
    """The role of ``name``: lecturer when the class file lists them (compared by :func:`name_key`), else student."""
    return "lecturer" if find_user(dict.fromkeys(lecturers), name) is not None else "student"


@lru_cache(maxsize=1)
def _stand_in_hash() -> str:
    return hash_password(secrets.token_hex(16))


def roster_sign_in(users: Mapping[str, str], lecturers, name: str, password: str) -> Identity:
    """The identity of ``name`` when ``password`` matches its stored hash in ``users`` ({name: hash});
    :class:`SignInError` otherwise (the same message for an unknown name and a wrong password)."""
    found = find_user(users, (name or "")[:4 * MAX_NAME].strip())
    stored = users.get(found) if found is not None else None
    # check against a stand-in hash for an unknown name: one scrypt either way, so the time does not tell which
    # names exist
    right = verify_password((password or "")[:1024], stored or _stand_in_hash())
    if stored is not None and not stored.startswith(f"scrypt${_SCRYPT['n']}$"):
        verify_password("", _stand_in_hash())  # a generated password's light hash: still one full check's time
    if not right or stored is None:
        raise SignInError("The user name or the password is not right.")
    return Identity(found, role_of(found, lecturers), "roster")


LOOPBACK = ("127.0.0.1", "::1", "localhost")
PROXY_SECRET_HEADER = "X-Proxy-Secret"


def secret_hash(secret: str) -> str:
    """How the class file keeps the proxy's shared secret: its SHA-256 (a long random secret needs no slow hash).

    Examples
    --------
    >>> secret_hash("s3cret")[:16]
    '1ec1c26b50d5d3c5'
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def proxy_untrusted(headers: Mapping[str, str], *, server_address: str | None, secret: str | None) -> str | None:
    """Why a request's proxy header must not be believed, or None when it may.

    Either the class file holds the hash of a shared secret (``secret``) and the request carries that secret in
    :data:`PROXY_SECRET_HEADER` (a proxy adds it; a browser cannot know it), or, without a secret, the server listens
    on loopback only (``server_address``), so that only the proxy on the same machine reaches it. A server on every
    interface without a secret would believe whoever sends the header: it fails closed.

    Examples
    --------
    >>> proxy_untrusted({}, server_address="127.0.0.1", secret=None) is None
    True
    >>> proxy_untrusted({}, server_address="0.0.0.0", secret=None).startswith("this server listens on every interface")
    True
    >>> proxy_untrusted({"x-proxy-secret": "s3cret"}, server_address="0.0.0.0", secret=secret_hash("s3cret")) is None
    True
    """
    if secret:
        given = next((v for k, v in headers.items() if k.lower() == PROXY_SECRET_HEADER.lower()), "")
        if given and hmac.compare_digest(secret_hash(given), secret):
            return None
        return "the request did not come through the class's sign-in proxy (it lacks the proxy's shared secret)"
    if (server_address or "").strip() in LOOPBACK:
        return None
    return ("this server listens on every interface and the class file sets no proxy secret, so anyone could send the "
            "proxy's header and be anybody; start it with --server.address 127.0.0.1 behind the proxy, or set a "
            "secret: python -m lib class auth proxy --proxy-secret")


def proxy_identity(headers: Mapping[str, str], header: str, lecturers) -> Identity | None:
    """The identity a trusted reverse proxy put in ``header`` (matched without regard to case), or None when absent."""
    wanted = header.lower()
    value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    if not value or not value.strip():
        return None
    name = check_name(value)
    return Identity(name, role_of(name, lecturers), "proxy")


def oidc_identity(user: Mapping[str, object], lecturers) -> Identity | None:
    """The identity of an OIDC sign-in (``st.user``'s fields): its e-mail, else its subject; None when not signed in."""
    if not user or not user.get("is_logged_in"):
        return None
    name = user.get("email") or user.get("sub")
    if not isinstance(name, str) or not name:
        return None
    return Identity(check_name(name), role_of(name, lecturers), "oidc")


def token_identity(token: str) -> Identity:
    """A single-user laptop's identity: the URL's token (32 hex digits, so it can never be a signed-in user's owner
    ``user:<name>``). It sees its own runs and the shared ones; the class's limits do not apply (there is no class)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise ValueError(f"a browser token is 32 hex digits, got {token!r:.40}")
    return Identity(token, "student", "token")
