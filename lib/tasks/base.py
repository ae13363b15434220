"""What every task module declares: its dataset, its settings and presets, and how it prepares and trains.

A task module (``lib/tasks/<name>.py``) ends with ``TASK = Task(...)``; the registry
(:mod:`lib.tasks`) lists them, and nothing outside a task module branches on a task's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from lib.data.datasets import Dataset
from lib.data.report import DatasetReport


class DataError(ValueError):
    """The dataset cannot be used for this training; the message says what is wrong and where."""


@dataclass(frozen=True)
class Field:
    """One setting of a task: its type, valid range or choices, and a help text."""

    kind: type  # int, float, bool, str
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    help: str = ""
    default: Any = None  # filled in when a saved configuration lacks the setting (added after runs were saved)


COMMON_FIELDS = {
    "data": Field(str, help="dataset folder in Kaggle's layout"),
    "seed": Field(int, 0, 2**31 - 1),
    "epochs": Field(int, 1, 1000),
    "batch_size": Field(int, 1, 1024),
    "learning_rate": Field(float, 1e-7, 1.0),
    "time_budget_s": Field(float, 0, 86400, default=0.0,
                           help="0: train every epoch; else the run measures its speed on this machine and trains only "
                                "the epochs that fit, so that the whole run (data steps, training, evaluation) ends "
                                "within this many seconds"),
    "precision": Field(str, choices=("float32", "mixed_float16", "mixed_bfloat16"), default="float32",
                       help="float32: full precision (the course's). mixed_*: compute in 16 bits and keep the weights in "
                            "32 bits: faster and smaller on a GPU with tensor cores (bfloat16 on A100/H100 and newer, "
                            "float16 with loss scaling on older cards); no faster on a CPU"),
    "jit_compile": Field(str, choices=("auto", "on", "off"), default="auto",
                         help="compile the training step with XLA (Keras' jit_compile). auto: Keras decides per model "
                              "and backend; off helps where XLA is slow for a layer type (reported for depthwise "
                              "convolutions on some GPUs with TensorFlow)"),
}

# The speed settings every preset starts from: what the course used (a GPU server may change them).
SPEED_DEFAULTS = {"precision": "float32", "jit_compile": "auto"}

# What jit_compile's choices mean for keras.Model.compile.
JIT_COMPILE = {"auto": "auto", "on": True, "off": False}

# The length of an epoch for tasks whose epoch is otherwise one pass over the training set.
STEPS_FIELD = Field(int, 0, 100000, default=0,
                    help="0: one pass over the training set (the course's); else this many batches per epoch, cycling "
                         "through the shuffled training set, so a small dataset gets as many optimisation steps as a large one")


@dataclass(frozen=True)
class Task:
    """Everything specific to one task.

    Attributes
    ----------
    name : the task's id in configs, run folders and the command line
    title : its name for people
    dataset : the dataset it reads (where it lives, how Kaggle ships it)
    data_folder : the sub-folder of the dataset whose changes make a cached report stale
    read : ``read(path) -> DatasetReport``, the reader the pages and the job use
    inspect : ``inspect(path) -> DatasetReport``, the thorough check of ``python -m lib inspect``
    fields : its settings (``data``, ``seed``, ... and its own)
    presets : {preset name: {setting: value}}
    headline : the test metric that sums a run up in run lists
    label_settings : the settings that tell two runs of this task apart, in order
    prepare : ``prepare(config, *, report=None, ...)``: the data steps before the model, shared by the
        page that shows them and the job that trains on them
    train : ``train(ctx) -> metrics``, run inside a job
    check : optional ``check(config)`` raising ``ValueError`` for combinations of settings that do not fit
    diagnose : ``diagnose(*, history, predictions, metrics, status, config=None) -> [Finding | None]``: what to
        tell the student about a finished or stopped run (see :mod:`lib.diagnosis`)
    usual_learning_rates : (lowest, highest) learning rate that works for this task (the course's range); the
        diagnosis names a learning rate above it as the likely cause of a run that learned nothing
    """

    name: str
    title: str
    dataset: Dataset
    data_folder: str
    read: Callable[[str | Path], DatasetReport]
    inspect: Callable[[str | Path], DatasetReport]
    fields: Mapping[str, Field]
    presets: Mapping[str, Mapping[str, Any]]
    headline: str
    label_settings: tuple[str, ...]
    prepare: Callable[..., Any]
    train: Callable[..., dict]
    check: Callable[[dict], None] | None = None
    diagnose: Callable[..., list] = lambda **kwargs: []
    metrics_shown: tuple[str, ...] = field(default=("loss", "accuracy"))
    items: str = "items"  # what one training example is, for people ("photos", "slices")
    usual_learning_rates: tuple[float, float] | None = None
    metric_aliases: Mapping[str, str] = field(default_factory=dict)  # {metric: the name older runs saved it under}

    def metric(self, metrics: Mapping, name: str):
        """The value of metric ``name`` in a run's metrics, also where an older version saved it under another name;
        None when absent."""
        if name in metrics:
            return metrics[name]
        old = self.metric_aliases.get(name)
        return metrics.get(old) if old else None
