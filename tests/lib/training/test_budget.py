"""The time budget (a run trains only the epochs that fit), fixed-length epochs, and the expected duration."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest

from lib.tasks import dr, lung2d
from lib.training.batches import array_batches, batch_rows
from lib.training.budget import epochs_that_fit
from lib.training.context import TaskContext
from lib.training.loop import fit


def _tiny_model():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    return model


class FakeClock:
    """The time the budget planner reads (``time.time``, patched): it moves only when a batch is made, so the test
    does not depend on how fast this machine is, nor on what else runs on it."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


class SlowBatches(keras.utils.PyDataset):
    """A fake throughput: every batch takes ``seconds`` of the fake clock to make."""

    def __init__(self, steps: int, seconds: float, clock: FakeClock | None = None):
        super().__init__()
        self.steps, self.seconds, self.clock = steps, seconds, clock
        self.rng = np.random.default_rng(0)

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        if self.clock is not None:
            self.clock.now += self.seconds
        x = self.rng.random((8, 4)).astype(np.float32)
        return x, (x.sum(axis=1) > 2).astype(np.float32)


@pytest.mark.parametrize("budget", [2.0, 4.0])
def test_a_run_with_a_time_budget_ends_within_it(tmp_path, budget, monkeypatch):
    """Driven by a fake clock (each batch costs 0.03 s of it): the run ends within its budget, not early, whatever the
    machine's speed (the real-time version failed under a second test worker's load)."""
    model = _tiny_model()
    model.train_on_batch(np.zeros((8, 4), np.float32), np.zeros(8, np.float32))  # trace outside the clock
    clock = FakeClock(time.time())  # today's date: the saved model's zip file needs one after 1980
    monkeypatch.setattr(time, "time", clock)
    ctx = TaskContext(run_dir=tmp_path, config={"time_budget_s": budget}, echo=lambda line: None, started=clock.now)
    callbacks = ctx.callbacks(epochs=1000, steps_per_epoch=5, batch_size=8, evaluation_cost=1.0)
    fit(model, SlowBatches(5, 0.03, clock), validation=SlowBatches(2, 0.03, clock), epochs=1000, callbacks=callbacks)
    ctx.save_trained(model)
    elapsed = clock.now - ctx.started
    planner = ctx._planner
    assert elapsed <= budget * 1.05, f"{elapsed:.2f} s for a budget of {budget} s"
    assert elapsed >= budget * 0.8, f"stopped after {elapsed:.2f} s of a {budget} s budget: too early"
    assert planner.cut and "time budget" in planner.cut
    trained = len(planner.epoch_seconds)
    assert 1 <= trained < 1000 and ctx._reporter.epochs == trained
    assert any("Training ended early" in note for note in ctx.notes)


def test_without_a_budget_every_epoch_is_trained(tmp_path):
    ctx = TaskContext(run_dir=tmp_path, config={"time_budget_s": 0}, echo=lambda line: None)
    callbacks = ctx.callbacks(epochs=3, steps_per_epoch=2, batch_size=8)
    fit(_tiny_model(), SlowBatches(2, 0.0), epochs=3, callbacks=callbacks)
    assert ctx._planner is None and len(ctx._reporter.rows) == 3


def test_a_budget_never_takes_back_epochs_already_done():
    assert epochs_that_fit(budget_s=10, elapsed_s=50, epoch_s=5, after_s=1, done=4, most=9) == 4
    assert epochs_that_fit(budget_s=10, elapsed_s=50, epoch_s=5, after_s=1, done=0, most=9) == 1
    assert epochs_that_fit(budget_s=1000, elapsed_s=0, epoch_s=1, after_s=0, done=1, most=9) == 9


def test_loop_reports_validation_and_honours_stop_training():
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

        def on_train_batch_end(self, batch, logs=None):
            if len(seen) == 1 and batch == 1:
                self.model.stop_training = True

    data = SlowBatches(4, 0.0)
    logs = fit(_tiny_model(), data, validation=SlowBatches(2, 0.0), epochs=5, callbacks=[Watch()])
    assert len(seen) == 2  # the stop in the second epoch ended it after that epoch's validation
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(seen[0]) and logs == seen[-1]


def test_a_small_training_set_gets_as_many_steps_per_epoch_as_a_large_one():
    steps = lung2d.PRESETS["quick"]["steps_per_epoch"]
    sizes = {}
    for n in (30, 160):
        images, masks = np.zeros((n, 16, 16, 1), np.float32), np.zeros((n, 16, 16, 1), np.uint8)
        sizes[n] = len(lung2d.make_dataset(images, masks, 16, ranges=None, seed=0, shuffle=True, steps=steps))
    assert sizes[30] == sizes[160] == steps
    photos = np.zeros((30, 8, 8, 3), np.uint8)
    assert len(dr._dataset(photos, np.zeros(30), 16, shuffle=True, seed=0, steps=dr.PRESETS["quick"]["steps_per_epoch"])) \
        == dr.PRESETS["quick"]["steps_per_epoch"]
    # one pass (the course's) depends on the size
    assert len(lung2d.make_dataset(images[:30], masks[:30], 16, ranges=None, seed=0, shuffle=True)) == 2


def test_fixed_length_epochs_cycle_through_every_row_once_per_pass():
    n, batch, steps = 30, 16, 10
    stream = np.concatenate([batch_rows(n, batch, steps=steps, epoch=e, index=i, shuffle=True, seed=3)
                             for e in range(2) for i in range(steps)])
    assert len(stream) == 2 * steps * batch
    for p in range(len(stream) // n):
        assert sorted(stream[p * n:(p + 1) * n]) == list(range(n))  # each pass is a permutation
    again = batch_rows(n, batch, steps=steps, epoch=1, index=4, shuffle=True, seed=3)
    np.testing.assert_array_equal(again, stream[(steps + 4) * batch:(steps + 5) * batch])  # by index, any order
    dataset = array_batches((np.arange(n),), batch, shuffle=True, seed=3, steps=steps)
    first = dataset[0][0]
    dataset.on_epoch_end()
    assert not np.array_equal(dataset[0][0], first)


def test_the_plan_shown_moves_only_by_a_margin_and_says_why(tmp_path, monkeypatch):
    """Epoch times that settle (tracing in the first, then 1.3, 1.15, 1.05 ... s) made the plan read 2/20, 3/28,
    4/30. Driven by a fake clock: the plan shown changes only by a margin, and ends at the epochs trained."""
    from types import SimpleNamespace

    from lib.training import progress
    from lib.training.progress import BudgetPlanner

    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(progress.time, "time", lambda: clock.now)
    reporter = SimpleNamespace(epochs=30, plan_why=None)
    planner = BudgetPlanner(budget_s=31, started=clock.now, most=30, evaluation_cost=0.0, reporter=reporter)
    model = SimpleNamespace(stop_training=False)
    planner.set_model(model)
    seconds = [4.0, 1.3, 1.2, 1.15, 1.1] + [1.05] * 40
    shown, true_plans = [], []
    for epoch, length in enumerate(seconds[:30]):  # fit() trains at most the 30 set
        planner.on_epoch_begin(epoch)
        clock.now += length
        planner.on_epoch_end(epoch)
        shown.append(reporter.epochs)
        true_plans.append(planner.planned)
        if model.stop_training:
            break
    trained = len(shown)
    assert len(set(true_plans)) > len(set(shown)), "the test's clock should make the raw plan swing"
    changes = [(a, b) for a, b in zip(shown, shown[1:]) if a != b]
    # a change is either by the margin (3 epochs of 30) or the last one, the run's true end
    assert all(abs(b - a) >= 3 for a, b in changes[:-1]), f"{shown} {true_plans}"
    assert shown[-1] == trained, (shown, trained)
    assert reporter.plan_why and f"{trained} of the 30 set fit the 31 s budget" in reporter.plan_why
