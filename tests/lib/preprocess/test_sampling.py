import numpy as np
import pytest

from lib.preprocess.sampling import balanced_sample, class_counts, referral_labels, split_indices


def test_referral_labels():
    assert referral_labels([0, 1, 2, 3, 4, 1]).tolist() == [0, 0, 1, 1, 1, 0]
    with pytest.raises(ValueError, match="0..4"):
        referral_labels([0, 5])


def test_balanced_sample_takes_n_of_each_class_seeded():
    labels = np.array([0] * 50 + [1] * 8)
    picked = balanced_sample(labels, 5, seed=3)
    assert class_counts(labels[picked], [0, 1]) == {0: 5, 1: 5}
    assert picked.tolist() == balanced_sample(labels, 5, seed=3).tolist()
    assert picked.tolist() != balanced_sample(labels, 5, seed=4).tolist()
    assert len(set(picked.tolist())) == 10


def test_balanced_sample_stays_balanced_when_a_class_is_small():
    labels = np.array([0] * 50 + [1] * 8)
    picked = balanced_sample(labels, 20, seed=0)
    assert class_counts(labels[picked], [0, 1]) == {0: 8, 1: 8}
    with pytest.raises(ValueError, match="positive whole number"):
        balanced_sample(labels, 0)


def test_split_covers_everything_once_in_the_right_proportions():
    labels = np.array([0] * 60 + [1] * 40)
    parts = split_indices(100, seed=1, stratify=labels)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [60, 20, 20]
    joined = np.concatenate(list(parts.values()))
    assert sorted(joined.tolist()) == list(range(100))
    for key in parts:  # stratified: 60 % / 40 % in every part
        assert np.mean(labels[parts[key]]) == pytest.approx(0.4)


def test_split_is_seeded_and_not_file_order():
    a, b, c = split_indices(30, seed=0), split_indices(30, seed=0), split_indices(30, seed=1)
    assert all((a[k] == b[k]).all() for k in a)
    assert any((a[k] != c[k]).any() for k in a)
    assert a["train"].tolist() != list(range(18))


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.6, 0.3, 0.3), (1.0, 0.0, 0.0)])
def test_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions"):
        split_indices(10, fractions=fractions)
