"""The loop's epoch figures are whole-epoch figures: checked against ``model.evaluate``, which the loop does not use.

With the learning rate at 0 the weights never change, so the mean training loss over an epoch (batches weighted by
their size) is the loss of the whole training set, and the validation figures are those of the whole validation set:
``model.evaluate`` computes both on its own. The batch sizes do not divide the sets (64 rows in batches of 16 is even,
but 30 validation rows in batches of 7 leave a last batch of 2), so a last-batch value or an unweighted mean of
batches would differ. Checked on TensorFlow here and on JAX in a child process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]

# Runs in this process (TensorFlow) and in a child with KERAS_BACKEND=jax: prints one JSON line.
SCRIPT = r"""
import json
import keras
import numpy as np

from lib.training.loop import fit


class Rows(keras.utils.PyDataset):
    def __init__(self, arrays, batch):
        super().__init__()
        self.arrays, self.batch = arrays, batch

    def __len__(self):
        return -(-len(self.arrays[0]) // self.batch)

    def __getitem__(self, i):
        return tuple(a[i * self.batch:(i + 1) * self.batch] for a in self.arrays)


class Seen(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches, self.epochs = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(dict(logs))

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(dict(logs))


def main(weighted: bool):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(94, 6)).astype("float32")
    y = (rng.random(94) < 0.45).astype("float32")[:, None]
    w = (rng.random(94) < 0.7).astype("float32")  # about 30 % of the rows ignored, as Lung 3D ignores voxels
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    metrics = {"weighted_metrics": ["accuracy"]} if weighted else {"metrics": ["accuracy"]}
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy", **metrics)
    train = (x[:64], y[:64]) + ((w[:64],) if weighted else ())
    val = (x[64:], y[64:]) + ((w[64:],) if weighted else ())
    seen = Seen()
    logs = fit(model, Rows(train, 16), validation=Rows(val, 7), epochs=2, callbacks=[seen])
    whole_train = model.evaluate(*train[:2], sample_weight=train[2] if weighted else None, batch_size=64,
                                 verbose=0, return_dict=True)
    whole_val = model.evaluate(*val[:2], sample_weight=val[2] if weighted else None, batch_size=64, verbose=0,
                               return_dict=True)
    first_batch = model.evaluate(*[a[:16] for a in train[:2]], sample_weight=train[2][:16] if weighted else None,
                                 verbose=0, return_dict=True)
    two_batches = model.evaluate(*[a[:32] for a in train[:2]], sample_weight=train[2][:32] if weighted else None,
                                 verbose=0, return_dict=True)
    return {"logs": logs, "train": whole_train, "val": whole_val, "epochs": seen.epochs,
            "batches": seen.batches[:2], "first_batch": first_batch, "two_batches": two_batches}


print(json.dumps({"plain": main(False), "weighted": main(True), "backend": keras.backend.backend()}))
"""


def _check(result: dict) -> None:
    for kind in ("plain", "weighted"):
        r = result[kind]
        logs = r["logs"]
        for name in ("loss", "accuracy"):
            assert logs[name] == pytest.approx(r["train"][name], abs=1e-5), (kind, name, logs, r["train"])
            assert logs[f"val_{name}"] == pytest.approx(r["val"][name], abs=1e-5), (kind, name, logs, r["val"])
        # every epoch's row is the same whole-set figure (the weights do not move)
        assert [e["loss"] for e in r["epochs"]] == pytest.approx([r["train"]["loss"]] * 2, abs=1e-5)
        # the callbacks see running means since the epoch began: batch 1 alone, then batches 1 and 2 together
        assert r["batches"][0]["loss"] == pytest.approx(r["first_batch"]["loss"], abs=1e-5)
        assert r["batches"][1]["loss"] == pytest.approx(r["two_batches"]["loss"], abs=1e-5)
        assert r["batches"][1]["accuracy"] == pytest.approx(r["two_batches"]["accuracy"], abs=1e-5)


def _run(backend: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == backend
    return result


def test_epoch_figures_equal_model_evaluate_on_tensorflow(processes):
    _check(_run("tensorflow"))


def test_epoch_figures_equal_model_evaluate_on_jax(processes):
    pytest.importorskip("jax", reason="JAX is not installed: requirements.txt installs it on Python 3.11 and newer")
    _check(_run("jax"))


def test_a_stop_mid_epoch_reports_the_batches_it_trained(monkeypatch):
    """A stop after batch 2 of 4: the epoch's figures are the mean of those two batches, not of the last one."""
    import keras

    from lib.training.loop import fit

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(64, 3)).astype("float32"), (rng.random((64, 1)) < 0.5).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy", metrics=["accuracy"])
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]

    class StopAfterTwo(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    logs = fit(model, batches, epochs=3, callbacks=[StopAfterTwo()])
    expected = model.evaluate(x[:32], y[:32], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(expected["loss"], abs=1e-6)
    assert logs["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-6)
