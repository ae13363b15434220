import numpy as np
import pytest

from lib.metrics.segmentation import dice, iou, per_item_scores


def test_hand_computed_2x2():
    pred = [[1, 1], [0, 0]]
    true = [[1, 0], [1, 0]]
    assert iou(pred, true) == pytest.approx(1 / 3)
    assert dice(pred, true) == pytest.approx(0.5)


def test_threshold_applies_to_probabilities():
    probs = np.array([[0.9, 0.4], [0.6, 0.1]])
    true = np.array([[1, 1], [1, 0]])
    assert iou(probs, true, threshold=0.5) == pytest.approx(2 / 3)
    assert iou(probs, true, threshold=0.3) == pytest.approx(1.0)


def test_empty_full_and_disjoint():
    empty, full = np.zeros((3, 3)), np.ones((3, 3))
    assert iou(empty, empty) == 1.0 and dice(empty, empty) == 1.0  # both empty: the stated rule
    assert iou(empty, empty, empty_score=0.0) == 0.0
    assert iou(full, empty) == 0.0 and iou(empty, full) == 0.0
    assert iou(full, full) == 1.0
    a = np.array([[1, 0], [0, 0]])
    b = np.array([[0, 0], [0, 1]])
    assert iou(a, b) == 0.0 and dice(a, b) == 0.0


def test_per_item_matches_the_single_versions():
    rng = np.random.default_rng(0)
    pred, true = rng.random((6, 5, 5)), rng.random((6, 5, 5)) > 0.6
    pred[0], true[0] = 0, False  # an empty pair
    scores = per_item_scores(pred, true)
    assert scores["iou"][0] == 1.0
    for i in range(6):
        assert scores["iou"][i] == pytest.approx(iou(pred[i], true[i]))
        assert scores["dice"][i] == pytest.approx(dice(pred[i], true[i]))


def test_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r"\(2, 2\) and \(2, 3\)"):
        iou(np.zeros((2, 2)), np.zeros((2, 3)))
