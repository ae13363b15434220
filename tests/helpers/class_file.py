"""A process's part in the concurrency test of the class file (importable without the app's heavy modules)."""

from dataclasses import replace

from lib.access.identity import hash_password
from lib.access.policy import update_class


def add_user(path, name: str) -> None:
    update_class(lambda settings: (replace(settings, users={**settings.users, name: hash_password(name + "-pass")}),
                                   None), path)
