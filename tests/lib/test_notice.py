import math

import numpy as np
import pandas as pd

from lib import notice


def test_curves_reads_the_gap_and_the_best_epoch():
    close = pd.DataFrame({"epoch": [1, 2], "loss": [.5, .4], "val_loss": [.5, .45], "accuracy": [.8, .9], "val_accuracy": [.79, .88]})
    assert "close together" in notice.curves(close, items="slices") and "lowest at epoch 2 of 2" in notice.curves(close)
    harder = close.assign(val_accuracy=[.9, .97])
    assert "validation is better than training" in notice.curves(harder, items="slices")
    assert "clean slices" in notice.curves(harder, items="slices")
    assert "learned little" in notice.curves(close.assign(accuracy=[.5, .5], val_accuracy=[.48, .49]))
    assert notice.curves(pd.DataFrame()) is None
    assert notice.curves(close.drop(columns=["val_accuracy"])) is None


def test_prevalence_reading_says_whether_ppv_falls_or_rises():
    falls = notice.prevalence_reading(0.9, 0.9, 0.5, 0.05)
    assert "90 %" in falls and "only 32 %" in falls and "false alarms" in falls
    rises = notice.prevalence_reading(0.9, 0.9, 0.5, 0.8)
    assert "only" not in rises and "97 %" in rises and "still be right" in rises
    assert notice.prevalence_reading(float("nan"), 0.9, 0.5, 0.1) is None


def test_readings_without_numbers_say_nothing():
    assert notice.auc_reading(float("nan"), 10) is None
    assert notice.iou_reading(np.array([np.nan])) is None
    assert notice.sparse_reading(0.3, math.nan, 0.8) is None
    assert "0.5 is a coin toss" in notice.auc_reading(0.62, 40) and "interval" not in notice.auc_reading(0.62, 40)


def test_every_question_has_an_answer():
    for key, (question, answer) in notice.QUESTIONS.items():
        assert question.endswith("?") and len(answer) > 80, key


def test_a_gap_is_called_overfitting_only_when_validation_loss_turned_up():
    """Issue 30: "(overfitting); validation loss was lowest at epoch 20 of 20" beside "Still learning": the gap alone
    does not make overfitting while validation loss is still falling (the lowest at the last epoch)."""
    epochs = np.arange(1, 21)
    falling = pd.DataFrame({"epoch": epochs, "loss": 0.7 * np.exp(-epochs / 5), "val_loss": 0.69 - 0.015 * epochs,
                            "accuracy": np.minimum(0.55 + 0.025 * epochs, 0.97), "val_accuracy": 0.55 + 0.0135 * epochs})
    text = notice.curves(falling)
    assert "a gap of 0.15" in text and "lowest at epoch 20 of 20" in text
    assert "(overfitting)" not in text and "not overfitting yet" in text
    turned = falling.assign(val_loss=np.where(epochs <= 8, 0.7 - 0.05 * epochs, 0.3 + 0.03 * (epochs - 8)))
    assert "(overfitting); validation loss was lowest at epoch 8 of 20" in notice.curves(turned)
