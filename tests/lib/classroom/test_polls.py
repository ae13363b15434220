"""Class polls: figures from the run's own predictions (checked by hand with numpy), one answer per student, many at
once, private files that survive a restart, and a poll that closes itself when its run goes."""

import os
import stat

import numpy as np
import pytest

from lib.classroom.polls import REASON_CHARS, PollError, PollStore
from lib.jobs.folder.store import RunStore
from tests.helpers.runs import make_dr_run
from tests.helpers.concurrency import all_at_once


@pytest.fixture
def published(tmp_path, demo_root):
    store = RunStore(tmp_path / "runs")
    run_dir = make_dr_run(store, demo_root / "eyepacs", owner="user:ada")
    store.publish(run_dir.name, by="ada")
    return store, run_dir


def _by_hand(run_dir, threshold, prevalence):
    with np.load(run_dir / "predictions.npz") as p:
        scores, labels = p["scores"].astype(float), p["labels"].astype(int)
    referred = scores >= threshold
    se = referred[labels == 1].mean()
    sp = (~referred[labels == 0]).mean()
    return se, sp, se * prevalence / (se * prevalence + (1 - sp) * (1 - prevalence))


def test_an_answer_carries_the_figures_of_its_threshold_on_the_polls_run(published):
    store, run_dir = published
    polls = PollStore(store)
    poll = polls.open(run_dir.name, by="ada", prevalence=0.1)
    with np.load(run_dir / "predictions.npz") as p:
        threshold = float(np.sort(p["scores"])[len(p["scores"]) // 2])  # a score of the test set: a vertex
    answer = polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold=threshold,
                          reason="miss\nalmost   nobody")
    se, sp, ppv = _by_hand(run_dir, threshold, 0.1)
    assert (answer.sensitivity, answer.specificity) == pytest.approx((se, sp))
    assert answer.ppv == pytest.approx(ppv) and answer.reason == "miss almost nobody"  # one line
    # a second answer replaces the first
    polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold=0.9)
    assert [a.threshold for a in polls.answers(poll.poll_id)] == [0.9]
    assert polls.mine(poll.poll_id, "user:carol").threshold == 0.9 and polls.mine(poll.poll_id, "user:dan") is None


def test_the_class_view_has_the_median_and_the_spread(published):
    store, run_dir = published
    polls = PollStore(store)
    poll = polls.open(run_dir.name, by="ada")
    chosen = [0.3, 0.4, 0.5, 0.6, 0.7]
    for i, t in enumerate(chosen):
        polls.submit(poll.poll_id, owner=f"user:s{i}", name=f"S{i}", threshold=t)
    view = polls.class_view(poll.poll_id)
    assert view.median.threshold == 0.5
    sens = [_by_hand(run_dir, t, 0.2)[0] for t in chosen]
    assert view.spread["sensitivity"] == pytest.approx(tuple(np.percentile(sens, [0, 25, 50, 75, 100])))
    assert view.youden is None  # revealed only when the lecturer closes with reveal
    polls.close(poll.poll_id, reveal=True)
    view = PollStore(RunStore(store.root)).class_view(poll.poll_id)  # a new server process reads the same
    assert view.youden is not None and view.rule_out.sensitivity >= 0.95
    with pytest.raises(PollError, match="closed"):
        polls.submit(poll.poll_id, owner="user:late", name="Late", threshold=0.5)


def test_thirty_students_answering_at_once_are_thirty_answers(published):
    store, run_dir = published
    polls = PollStore(store)
    poll = polls.open(run_dir.name, by="ada")
    assert all_at_once(30, lambda i: PollStore(RunStore(store.root)).submit(
        poll.poll_id, owner=f"user:s{i}", name=f"S{i}", threshold=0.3 + i / 100)) == []
    assert sorted(a.user for a in polls.answers(poll.poll_id)) == sorted(f"S{i}" for i in range(30))


def test_what_is_written_is_private_and_bad_input_is_refused_by_name(published):
    store, run_dir = published
    polls = PollStore(store)
    poll = polls.open(run_dir.name, by="ada")
    polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold=0.5, reason="<b>why</b> ' \" ü")
    for root, dirs, files in os.walk(polls.root):
        for name in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) == 0o700
        for name in files:
            assert stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode) == 0o600
    assert polls.mine(poll.poll_id, "user:carol").reason == "<b>why</b> ' \" ü"  # stored as typed; pages escape it
    with pytest.raises(PollError, match=f"at most {REASON_CHARS}"):
        polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold=0.5, reason="x" * (REASON_CHARS + 1))
    with pytest.raises(PollError, match="threshold must be a number"):
        polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold="high")
    with pytest.raises(PollError, match="prevalence"):
        polls.open(run_dir.name, by="ada", prevalence=1.5)
    with pytest.raises(PollError, match="no poll"):
        polls.get("../../etc")
    (polls.root / poll.poll_id / "poll.json").write_text("[" * 100_000)
    found, problems = polls.polls()
    assert found == [] and "cannot be read" in problems[0]


def test_a_poll_on_a_run_that_is_unpublished_or_deleted_closes_saying_so(published, demo_root):
    store, run_dir = published
    polls = PollStore(store)
    poll = polls.open(run_dir.name, by="ada")
    store.publish(run_dir.name, False)
    [closed], _ = polls.polls()
    assert not closed.is_open and "not published" in closed.closed_why
    with pytest.raises(PollError, match="not published"):
        polls.open(run_dir.name, by="ada")
    unpublished = make_dr_run(store, demo_root / "eyepacs", owner="user:ada")
    with pytest.raises(PollError, match="not published"):
        polls.open(unpublished.name, by="ada")
    store.publish(unpublished.name, by="ada")
    second = polls.open(unpublished.name, by="ada")
    store.delete(unpublished.name, owner="user:ada")
    with pytest.raises(PollError, match="gone"):
        polls.submit(second.poll_id, owner="user:carol", name="Carol", threshold=0.5)
    assert not polls.get(second.poll_id).is_open
