"""Students' answers to the course's "think about it" questions, kept per user beside the runs.

``<runs>/.answers/<sha256 of owner>.json`` holds one user's answers, ``{"user": name, "answers": {question key:
{"text": ..., "at": time}}}``. Each save reads, changes and rewrites the file under a lock (two tabs of one student
saving two questions at once lose neither), atomically and privately (0600 in a 0700 folder). An answer longer than
:data:`ANSWER_CHARS` is refused with a message; the page keeps what was typed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from lib.atomic import write_json_atomic
from lib.jobs.folder.files import read_json

FOLDER = ".answers"
ANSWER_CHARS = 2000


class AnswerError(ValueError):
    """An answer that cannot be saved; the message says why."""


@dataclass(frozen=True)
class Written:
    user: str
    question: str
    text: str
    at: float


def _file(owner: str) -> str:
    return hashlib.sha256(owner.encode()).hexdigest()[:32] + ".json"


class AnswerBook:
    """Every user's answers under one runs folder."""

    def __init__(self, runs_root: str | Path):
        self.root = Path(runs_root) / FOLDER

    def save(self, owner: str, name: str, question: str, text: str) -> Written:
        """Save (or replace, or with empty text remove) one answer of one user."""
        if not isinstance(text, str):
            raise AnswerError(f"an answer is text, got {type(text).__name__}")
        text = text.strip()
        if len(text) > ANSWER_CHARS:
            raise AnswerError(f"your answer is {len(text):,} characters long; at most {ANSWER_CHARS:,} are kept. "
                              "Shorten it and save again: what you typed is still in the box")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        path = self.root / _file(owner)
        with open(self.root / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read(path)
            if not data and path.exists():  # damaged: kept aside (nothing is lost), a new file begins
                path.rename(path.with_name(f"{path.stem}.damaged-{int(time.time())}"))
            answers = data.get("answers", {})
            if text:
                answers[question] = {"text": text, "at": time.time()}
            else:
                answers.pop(question, None)
            write_json_atomic(path, {"user": name[:100], "answers": answers})
            os.chmod(path, 0o600)
        return Written(name, question, text, time.time())

    def mine(self, owner: str) -> dict[str, str]:
        """This user's answers, by question key."""
        answers = self._read(self.root / _file(owner)).get("answers", {})
        return {k: str(v.get("text", ""))[:ANSWER_CHARS] for k, v in answers.items() if isinstance(v, dict)}

    def by_question(self) -> dict[str, list[Written]]:
        """Every user's answers, by question key, oldest first (files that cannot be read are skipped)."""
        found: dict[str, list[Written]] = {}
        try:
            paths = sorted(self.root.glob("*.json"))
        except OSError:
            paths = []
        for path in paths:
            data = self._read(path)
            user = str(data.get("user", "?"))[:100]
            for key, value in data.get("answers", {}).items():
                if isinstance(value, dict) and isinstance(value.get("text"), str):
                    found.setdefault(str(key), []).append(
                        Written(user, str(key), value["text"][:ANSWER_CHARS], float(value.get("at", 0) or 0)))
        for answers in found.values():
            answers.sort(key=lambda w: w.at)
        return found

    @staticmethod
    def _read(path: Path) -> dict:
        try:
            data = read_json(path, limit=2_000_000)
        except ValueError:  # none yet, or damaged: nothing to add to
            return {}
        return data if isinstance(data.get("answers", {}), dict) else {}
