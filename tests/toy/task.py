"""Toy: is a point inside the circle? A tiny classifier on generated arrays, a whole task in one module.

Its dataset is a folder holding ``points.csv`` (columns x, y, label); its demo writer draws 400 seeded points. It
declares its settings, presets, data steps, training and a command-line option, and registers through
``DLMI_TASKS=tests.toy.task`` (or :func:`lib.tasks.register` in a test process): no file outside this module changes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lib.contract import COMMON_FIELDS, SPEED_DEFAULTS, DataError, Dataset, Field, Task, TaskOption
from lib.data.check import DatasetCheck, is_synthetic
from lib.demo.marker import DEMO_MARKER
from lib.preprocess.sampling import split_indices
from lib.training.batches import array_batches
from lib.training.context import TaskContext
from lib.training.loop import fit


def write_demo(folder: Path, size, seed: int, pool, progress) -> None:
    """400 points in the square [-1, 1]^2, labelled 1 inside the circle of radius 0.7."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1, 1, (400, 2))
    labels = (np.hypot(points[:, 0], points[:, 1]) < 0.7).astype(int)
    rows = "\n".join(f"{x:.5f},{y:.5f},{label}" for (x, y), label in zip(points, labels))
    (folder / "points.csv").write_text("x,y,label\n" + rows + "\n")
    (folder / DEMO_MARKER).write_text('{"generator": "tests.toy"}')
    progress(1.0, "toy points")


DATASET = Dataset(key="toy", title="Toy points", env="DLMI_TOY_DATA", demo=write_demo, demo_cost=0.01)


def read(path) -> DatasetCheck:
    path = Path(path)
    report = DatasetCheck(name=DATASET.title, path=path, synthetic=is_synthetic(path))
    table = path / "points.csv"
    if not table.is_file():
        report.fatal = f"{table} does not exist"
        return report
    for line_number, line in enumerate(table.read_text().splitlines()[1:], start=2):
        try:
            x, y, label = line.split(",")
            report.items.append((float(x), float(y), int(label)))
        except ValueError:
            report.add("points.csv", "bad_row", f"line {line_number} is not x,y,label: {line!r}")
    return report


FIELDS = {**COMMON_FIELDS,
          "learning_rate": Field(float, 1e-7, 1.0, label="Learning rate", widget="select_slider",
                                 choices=(1e-3, 1e-2, 1e-1), shown="lr {:g}"),
          "hidden": Field(int, 1, 256, label="Hidden units", shown="{} hidden", cap=(None, 32))}
PRESETS = {"quick": dict(hidden=8, epochs=3, batch_size=32, learning_rate=0.01, seed=0, time_budget_s=0.0,
                         **SPEED_DEFAULTS),
           "course": dict(hidden=16, epochs=20, batch_size=32, learning_rate=0.01, seed=0, time_budget_s=0.0,
                          **SPEED_DEFAULTS)}


def prepare(config: dict, *, report: DatasetCheck | None = None):
    report = report if report is not None else read(config["data"])
    if not report.ok:
        raise DataError(f"toy dataset at {config['data']}: {report.fatal}")
    table = np.asarray(report.items, dtype=np.float32)
    return table[:, :2], table[:, 2], split_indices(len(table), seed=config["seed"])


def train(ctx: TaskContext) -> dict:
    import keras  # the job's process only

    c = ctx.config
    ctx.phase("reading the points")
    x, y, parts = prepare(c)
    ctx.describe_training_data(inputs=x[parts["train"]], labels=y[parts["train"]].astype(int))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(c["hidden"], activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")], name="toy")
    ctx.compile(model)
    train_set = array_batches((x[parts["train"]], y[parts["train"]]), c["batch_size"], shuffle=True, seed=c["seed"])
    callbacks = ctx.callbacks(epochs=c["epochs"], steps_per_epoch=len(train_set), batch_size=c["batch_size"],
                              inputs=train_set)
    fit(model, train_set, validation=array_batches((x[parts["val"]], y[parts["val"]]), 64, shuffle=False, seed=0),
        epochs=c["epochs"], callbacks=callbacks)
    ctx.save_trained(model)
    ctx.phase("evaluating on the test set", stoppable=False)
    scores = np.asarray(model.predict(x[parts["test"]], verbose=0)).reshape(-1)
    truth = y[parts["test"]]
    ctx.save_predictions(scores=scores.astype(np.float32), labels=truth.astype(np.int64))
    return {"accuracy": float(np.mean((scores >= 0.5) == truth)), "n_test": int(len(truth))}


TASK = Task(name="toy", title="Toy points", dataset=DATASET, data_folder=".", read=read, inspect=read, fields=FIELDS,
            presets=PRESETS, headline="accuracy", label_settings=("hidden", "learning_rate"), prepare=prepare,
            train=train, items="points", summary="is a point inside the circle? (a test of the plug-in contract)",
            options=(TaskOption("--hidden-units", "hidden units of the toy model", lambda v: {"hidden": int(v)}),))
