import keras
import numpy as np

from lib.jobs.folder import files
from lib.training.progress import ProgressReporter


class CountBatches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def _model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_progress_and_history_are_written(tmp_path):
    x, y = np.random.default_rng(0).random((40, 4)), np.arange(40) % 2
    reporter = ProgressReporter(tmp_path, epochs=3, steps_per_epoch=5, batch_size=8, should_stop=lambda: None, interval_s=0.0)
    _model().fit(x, y, batch_size=8, epochs=3, validation_split=0.0, callbacks=[reporter], verbose=0)
    history = files.read_history(tmp_path / files.HISTORY)
    assert list(history["epoch"]) == [1, 2, 3]
    assert {"loss", "accuracy", "learning_rate", "seconds", "images_per_s", "partial"} <= set(history.columns)
    assert not history["partial"].any()
    progress = files.read_json(tmp_path / files.PROGRESS)
    assert progress["epoch"] == 2 and progress["fraction"] == 1.0
    assert progress["learning_rate"] == np.float32(0.01) and progress["eta_s"] == 0.0
    assert progress["images_per_s"] > 0


def test_stop_takes_effect_within_one_batch(tmp_path):
    x, y = np.random.default_rng(0).random((80, 4)), np.arange(80) % 2
    counter = CountBatches()
    asked = []

    def should_stop():
        if counter.batches >= 3:
            asked.append(counter.batches)
            return "stopped on request"
        return None

    reporter = ProgressReporter(tmp_path, epochs=5, steps_per_epoch=10, batch_size=8, should_stop=should_stop, interval_s=0.0)
    _model().fit(x, y, batch_size=8, epochs=5, callbacks=[counter, reporter], verbose=0)
    assert counter.batches == 3 and asked[0] == 3
    assert reporter.stop_reason == "stopped on request"
    history = files.read_history(tmp_path / files.HISTORY)
    assert len(history) == 1 and bool(history["partial"].iloc[0])
