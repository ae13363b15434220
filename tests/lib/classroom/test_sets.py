"""Class sets and polls on them: a lecturer's uploaded scores saved privately under their content's digest, read back
as they were, their ROC the same as scikit-learn's on the same arrays, and a poll on one answered with figures counted
by hand here; a set that goes or breaks closes its poll, saying so."""

import os
import stat

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from lib.classroom.polls import SET_QUESTION, SET_TASK, PollError, PollStore
from lib.classroom.sets import MAX_FILE_BYTES, SetError, SetStore, is_set_id, set_id_of
from lib.data.scores import MAX_ROWS
from lib.jobs.folder.store import RunStore


def _items(n=60, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.4).astype(int)
    scores = np.round(np.clip(0.3 * labels + rng.normal(0.4, 0.2, n), 0, 1), 2)  # ties, like a vendor's 2 decimals
    return scores, labels


def test_a_set_is_saved_privately_under_its_digest_and_read_back_as_it_was(tmp_path):
    scores, labels = _items()
    groups = np.where(np.arange(60) % 2, "A", "B")
    sets = SetStore(tmp_path / "runs")
    assert not (tmp_path / "runs").exists()  # nothing written before a save
    saved = sets.save(scores, labels, groups=groups, source="vendor **v2**.csv\nrow", by="ada")
    assert is_set_id(saved.set_id) and saved.set_id == set_id_of(scores, labels, groups)
    assert (saved.source, saved.saved_by, saved.n, saved.n_pos) == ("vendor **v2**.csv row", "ada", 60, labels.sum())
    read = SetStore(tmp_path / "runs").load(saved.set_id)  # another server process
    np.testing.assert_array_equal(read.scores, scores)
    np.testing.assert_array_equal(read.labels, labels)
    assert list(read.groups) == list(groups) and read.source == saved.source
    assert not read.scores.flags.writeable  # shared by every session's page
    for root, dirs, names in os.walk(tmp_path / "runs" / ".sets"):
        assert stat.S_IMODE(os.stat(root).st_mode) == 0o700 and not dirs
        assert [stat.S_IMODE(os.stat(os.path.join(root, n)).st_mode) for n in names] == [0o600]
    again = sets.save(scores, labels, groups=groups, source="another name.csv", by="bob")
    assert again == saved  # the same items are the same set: its first name kept
    assert sets.save(scores, labels, source="x", by="ada").set_id != saved.set_id  # without the groups: other items
    assert set_id_of(scores, 1 - labels) != saved.set_id


def test_a_sets_curve_is_the_roc_of_its_arrays(tmp_path):
    scores, labels = _items(seed=1)
    sets = SetStore(tmp_path)
    curve = sets.curve(sets.save(scores, labels, source="s.csv", by="ada").set_id)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(curve.fpr, fpr)
    np.testing.assert_allclose(curve.tpr, tpr)
    assert curve.auc == pytest.approx(roc_auc_score(labels, scores))


@pytest.mark.parametrize("scores, labels, message", [
    ([0.1, 0.2], [0, 0], "both classes"),
    ([0.1, np.nan], [0, 1], "finite"),
    ([0.1, 0.2], [0, 2], "0 or 1"),
    ([0.1, 0.2, 0.3], [0, 1], "one label per score"),
    ([], [], "1 to"),
])
def test_items_that_cannot_be_a_class_set_are_refused_by_name(tmp_path, scores, labels, message):
    with pytest.raises(SetError, match=message):
        SetStore(tmp_path).save(scores, labels, source="bad.csv", by="ada")
    assert not (tmp_path / ".sets").exists() or not list((tmp_path / ".sets").iterdir())


def test_too_many_items_unknown_ids_and_broken_files_are_set_errors(tmp_path):
    sets = SetStore(tmp_path)
    with pytest.raises(SetError, match=f"{MAX_ROWS:,}"):
        sets.save(np.zeros(MAX_ROWS + 1), np.arange(MAX_ROWS + 1) % 2, source="big.csv", by="ada")
    for bad in ("set:../../etc/passwd", "20250101-120000-abcdef", None):
        with pytest.raises(SetError, match="no class set"):
            sets.get(bad)
    with pytest.raises(SetError, match="gone"):
        sets.curve("set:" + "0" * 16)
    saved = sets.save(*_items(), source="s.csv", by="ada")
    path = tmp_path / ".sets" / (saved.set_id.removeprefix("set:") + ".npz")
    path.write_bytes(b"not a zip file")
    with pytest.raises(SetError, match="cannot be read"):
        sets.load(saved.set_id)
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(SetError, match="more than"):
        sets.get(saved.set_id)


def _by_hand(scores, labels, threshold, prevalence):
    referred = scores >= threshold
    se, sp = referred[labels == 1].mean(), (~referred[labels == 0]).mean()
    return se, sp, se * prevalence / (se * prevalence + (1 - sp) * (1 - prevalence))


def test_a_poll_on_a_class_set_is_answered_on_its_roc(tmp_path):
    scores, labels = _items(seed=2)
    store = RunStore(tmp_path / "runs")
    polls = PollStore(store)
    with pytest.raises(PollError, match="gone"):  # a set must be saved before a poll opens on it
        polls.open(set_id_of(scores, labels), by="ada")
    saved = polls.sets.save(scores, labels, source="vendor.csv", by="ada")
    poll = polls.open(saved.set_id, by="ada", prevalence=0.1)
    assert (poll.task, poll.question, poll.on_set) == (SET_TASK, SET_QUESTION, True)
    assert [p.poll_id for p in polls.open_polls(SET_TASK)] == [poll.poll_id] and polls.open_polls("dr") == []
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    curve = polls.curve(poll.run_id)
    np.testing.assert_allclose((curve.fpr, curve.tpr), (fpr, tpr))
    answer = polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold=0.55, reason="few misses")
    se, sp, ppv = _by_hand(scores, labels, 0.55, 0.1)
    assert (answer.sensitivity, answer.specificity, answer.ppv) == pytest.approx((se, sp, ppv))
    polls.submit(poll.poll_id, owner="user:dan", name="Dan", threshold=0.35)
    view = PollStore(RunStore(store.root)).class_view(poll.poll_id)
    assert view.median.threshold == pytest.approx(0.45)
    assert view.median.sensitivity == pytest.approx(_by_hand(scores, labels, 0.45, 0.1)[0])


def test_a_poll_on_a_set_takes_thresholds_on_the_sets_scale(tmp_path):
    scores, labels = _items(seed=3)
    logits = np.log(np.clip(scores, 0.01, 0.99) / (1 - np.clip(scores, 0.01, 0.99))) * 3  # any scale
    polls = PollStore(RunStore(tmp_path))
    poll = polls.open(polls.sets.save(logits, labels, source="logits.csv", by="ada").set_id, by="ada")
    answer = polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold=-1.5)
    assert answer.sensitivity == pytest.approx(_by_hand(logits, labels, -1.5, 0.2)[0])
    with pytest.raises(PollError, match="finite"):
        polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold=float("inf"))


def test_a_poll_whose_set_goes_or_breaks_closes_saying_so(tmp_path):
    polls = PollStore(RunStore(tmp_path))
    saved = polls.sets.save(*_items(), source="s.csv", by="ada")
    poll = polls.open(saved.set_id, by="ada")
    (tmp_path / ".sets" / (saved.set_id.removeprefix("set:") + ".npz")).unlink()
    [closed], _ = polls.polls()
    assert not closed.is_open and "gone" in closed.closed_why
    with pytest.raises(PollError, match="closed"):
        polls.submit(poll.poll_id, owner="user:carol", name="Carol", threshold=0.5)
