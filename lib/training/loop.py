"""The training loop: Keras' ``train_on_batch`` over our own batches, with Keras callbacks, on any backend.

Why not ``model.fit``: fed a ``PyDataset``, Keras 3 on TensorFlow wraps it in ``tf.data.Dataset.from_generator``
with an autotuned prefetch, and about every other epoch then stalls for over a second at its boundary (on a
2-core AMD EPYC: 2.5 s instead of 1.35 s for an epoch of ten 16-slice U-Net steps; ``bench/presets.py`` shows
the time per epoch). The batches here are made in this thread just before each step (OpenCV
augmentation, uint8 to float: milliseconds), so an epoch costs its steps, its validation and nothing else.

The figures are those ``fit`` and ``evaluate`` report. Keras 3's ``train_on_batch`` and ``test_on_batch`` reset the
compiled metrics at every call, so each returns one batch's loss and metrics; inside :func:`fit` that reset is
suspended (:func:`_accumulating`), so the metrics accumulate over the epoch in the model's own metric state, as in
``fit``: the training loss is the mean over the epoch's batches weighted by their size, a weighted metric is weighted
by the sample weights, and validation covers the whole validation set. ``tests/lib/training/test_loop.py`` checks
this against ``model.evaluate`` on TensorFlow and on JAX.

The callbacks see what ``fit`` would show them: ``on_epoch_begin``, ``on_train_batch_begin`` / ``_end``
with the running means since the epoch began, ``on_test_begin`` / ``_end`` around validation, and
``on_epoch_end`` with the epoch's training logs plus ``val_``-prefixed validation logs. Setting
``model.stop_training`` (a stop request, the time budget) ends training after the current batch; the
epoch's validation still runs, as in ``fit``, and the epoch's training figures cover the batches it trained.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Sequence


def _floats(logs) -> dict:
    return {name: float(value) for name, value in (logs or {}).items()}


def _keep_metrics() -> None:
    """Stands in for ``model.reset_metrics`` while a pass accumulates (see :func:`_accumulating`)."""


@contextmanager
def _accumulating(model):
    """One pass (a training epoch, a validation) over which the model's metrics accumulate: they are reset once
    here, and the reset that every ``train_on_batch`` / ``test_on_batch`` call makes is suspended until the end."""
    type(model).reset_metrics(model)
    model.reset_metrics = _keep_metrics  # an instance attribute shadows the method for this pass only
    try:
        yield
    finally:
        del model.reset_metrics


def _run_validation(model, validation, callbacks) -> dict:
    callbacks.on_test_begin()
    logs = {}
    with _accumulating(model):
        for index in range(len(validation)):
            callbacks.on_test_batch_begin(index)
            logs = model.test_on_batch(*validation[index], return_dict=True)
            callbacks.on_test_batch_end(index, logs)
    logs = _floats(logs)
    callbacks.on_test_end(logs)
    return logs


def fit(model, train, *, epochs: int, validation=None, callbacks: Sequence = ()) -> dict:
    """Train ``model`` (compiled) for up to ``epochs`` epochs.

    Parameters
    ----------
    model : a compiled keras.Model
    train, validation : sequences of batches (``len`` and ``[i]``, e.g. a ``keras.utils.PyDataset``), each
        batch a tuple (x, y) or (x, y, sample_weight); ``on_epoch_end()`` is called on each after an epoch
    epochs : the most epochs to train
    callbacks : keras callbacks

    Returns
    -------
    The last epoch's logs ({} when no epoch ran).
    """
    import keras  # framework: the job's process only

    steps = len(train)
    if steps < 1:
        raise ValueError("the training set gave no batches")
    callback_list = keras.callbacks.CallbackList(list(callbacks), add_history=False, add_progbar=False, model=model,
                                                 epochs=epochs, steps=steps, verbose=0)
    model.stop_training = False
    callback_list.on_train_begin()
    logs: dict = {}
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        batch_logs = {}
        with _accumulating(model):
            for index in range(steps):
                callback_list.on_train_batch_begin(index)
                # the running means since the epoch began; after the last batch, the epoch's figures
                batch_logs = model.train_on_batch(*train[index], return_dict=True)
                callback_list.on_train_batch_end(index, batch_logs)
                if model.stop_training:
                    break
        logs = _floats(batch_logs)
        if validation is not None and len(validation):
            logs.update({f"val_{name}": value for name, value in _run_validation(model, validation, callback_list).items()})
        if hasattr(train, "on_epoch_end"):
            train.on_epoch_end()
        if validation is not None and hasattr(validation, "on_epoch_end"):
            validation.on_epoch_end()
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return logs
