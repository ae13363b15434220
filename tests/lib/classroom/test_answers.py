"""Answers to the course's questions: per user, never lost (two tabs at once, a reload, a damaged file), private."""

import os
import stat

import pytest

from lib.classroom.answers import ANSWER_CHARS, AnswerBook, AnswerError
from tests.helpers.concurrency import all_at_once


def test_answers_are_kept_per_user_and_replaced_or_removed(tmp_path):
    book = AnswerBook(tmp_path)
    book.save("user:carol", "Carol", "auc", "It is the chance that a sick eye scores higher. <b>ü</b> ' \"")
    book.save("user:dan", "Dan", "auc", "ranking")
    book.save("user:carol", "Carol", "screening", "miss nobody")
    assert AnswerBook(tmp_path).mine("user:carol") == {"auc": "It is the chance that a sick eye scores higher. <b>ü</b> ' \"",
                                                       "screening": "miss nobody"}  # as a new server reads it
    book.save("user:carol", "Carol", "auc", "changed my mind")
    book.save("user:carol", "Carol", "screening", "   ")
    assert book.mine("user:carol") == {"auc": "changed my mind"}
    assert [(w.user, w.text) for w in book.by_question()["auc"]] == [("Dan", "ranking"), ("Carol", "changed my mind")]
    for path in [book.root, *book.root.glob("*.json")]:
        assert stat.S_IMODE(os.stat(path).st_mode) == (0o700 if path.is_dir() else 0o600)


def test_two_tabs_saving_two_questions_at_once_lose_neither(tmp_path):
    book = AnswerBook(tmp_path)
    assert all_at_once(20, lambda i: AnswerBook(tmp_path).save("user:carol", "Carol", f"q{i}", f"answer {i}")) == []
    assert book.mine("user:carol") == {f"q{i}": f"answer {i}" for i in range(20)}


def test_a_long_answer_is_refused_and_a_damaged_file_is_kept_aside(tmp_path):
    book = AnswerBook(tmp_path)
    with pytest.raises(AnswerError, match=f"at most {ANSWER_CHARS:,}"):
        book.save("user:carol", "Carol", "auc", "x" * (ANSWER_CHARS + 1))
    book.save("user:carol", "Carol", "auc", "first")
    [path] = book.root.glob("*.json")
    path.write_text("{" * 50_000)
    assert book.mine("user:carol") == {} and book.by_question() == {}
    book.save("user:carol", "Carol", "screening", "second")
    assert book.mine("user:carol") == {"screening": "second"}
    assert len(list(book.root.glob("*.damaged-*"))) == 1  # the damaged file is still there for the lecturer
