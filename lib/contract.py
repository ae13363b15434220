"""The contract between the engine and a task: everything a task declares, and nothing of how it is run.

A task (``lib/tasks/<name>.py``) builds a :class:`Task`; the engine (``lib.training``), the run store and the
read-backs (``lib.diagnosis``, ``lib.jobs.folder.describe``) are handed that object and never look a task up by its
name; only the registry (``lib.tasks``) and the entry points above it (the command line, the worker, the pages)
turn a name into a task. This module sits at the bottom of the project's layers and imports nothing of ``lib``,
so every layer above may use it (the contracts in ``.importlinter`` enforce this).

- :class:`Dataset`: a dataset folder in a Kaggle layout (where it lives, how Kaggle ships it, its demo writer).
- :class:`Field`: one setting (type, range, choices; how a page shows it; its default class limit).
- :class:`Experiment`: several runs with one setting varied (Lung 3D's label fractions).
- :class:`TaskOption`: a command-line option of one task (DR's ``--weights``).
- :class:`Task`: the task itself: dataset, settings, presets, data steps, training, diagnosis hooks.
- :class:`DataError`: the dataset cannot be used for a training; the message says what and where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping


class DataError(ValueError):
    """The dataset cannot be used for this training; the message says what is wrong and where."""


@dataclass(frozen=True)
class Dataset:
    """One dataset folder in a Kaggle layout. A dataset can serve several tasks (the lung CT folder holds the 2D
    slices and the 3D volumes); tasks that share one share the object.

    Attributes
    ----------
    key : its folder name under the data dir and under the demo dir ("eyepacs", "lungs")
    title : a name for people
    env : the environment variable that points the app at a real copy (e.g. ``DLMI_DR_DATA``)
    kaggle : the ``kaggle`` CLI arguments that fetch it (before ``-p OUT``); empty when it is not on Kaggle
    after_download : what to do once it is downloaded (``{out}`` is the folder)
    demo : ``demo(folder, size, seed, pool, progress)`` writes the synthetic demo copy into ``folder`` (see
        :mod:`lib.demo.write`); None when there is no demo
    demo_cost : how long its demo takes to write, relative to the others (for one progress bar over several)
    layout : what the folder holds, for the Home page's instructions ("`trainLabels.csv` and `train/`")
    """

    key: str
    title: str
    env: str
    kaggle: tuple[str, ...] = ()
    after_download: str = ""
    demo: Callable[..., None] | None = None
    demo_cost: float = 1.0
    layout: str = ""


@dataclass(frozen=True)
class Field:
    """One setting of a task.

    Attributes
    ----------
    kind : int, float, bool or str
    low, high : the valid range of a number (inclusive)
    choices : the valid values of a text; for a number, the values a page offers in a select box or select slider
        (any number in [low, high] stays valid, e.g. from the command line)
    help : what it does, for people (the page's help text)
    default : filled in when a saved configuration lacks the setting (added after runs were saved)
    label : its name on a page ("Learning rate"); default: the setting's name
    widget : how a generic page offers it: "number", "slider", "select_slider" (``choices`` as the options),
        "selectbox", "radio", "checkbox", or "" (not offered: the page sets it some other way)
    step : a slider's or number box's step
    shown : how run labels show a value, a format string ("lr {:g}", "{} epochs"); "" leaves it out of labels
    cap : (lowest, highest) that a student may choose in a class, unless the class file says otherwise;
        None on either side: no bound
    names : how a page names the choices, {value: text} (default: the value itself)
    offered : (lowest, highest) a page's slider or number box offers, when narrower than [low, high]
    costs : whether the value changes what one training step costs (a model's size does, a learning rate or an
        augmentation's strength does not); the expected duration before Start goes by it (:mod:`lib.jobs.speed`)
    """

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    help: str = ""
    default: Any = None
    label: str = ""
    widget: str = "number"
    step: float | None = None
    shown: str = "{}"
    cap: tuple[float | None, float | None] | None = None
    names: Mapping[Any, str] = field(default_factory=dict)
    offered: tuple[float, float] | None = None
    costs: bool = True

    def describe(self, value) -> str:
        """``value`` as run labels show it (``shown``), e.g. ``lr 0.001``."""
        return self.shown.format(value) if self.shown else ""


@dataclass(frozen=True)
class Experiment:
    """Several runs of one task with one setting varied and everything else equal, and the figure that reads them.

    Attributes
    ----------
    name : its id ("label_fraction")
    title : for people, as the page's section title ("IoU against the fraction of labelled slices")
    setting : the setting that varies (a field of the task)
    values : the values offered; ``default``: those chosen at first
    metric : the test metric plotted against the setting (a key of the runs' metrics)
    question : the course question the experiment answers (a key of :data:`lib.notice.QUESTIONS`), or ""
    figure_title, x_title, y_title : the figure's words; ``log_x``: the setting on a log scale
    reference : a value of the setting drawn as a dashed line across the figure (Lung 3D: 1.0, full labels), or None;
        ``reference_name`` names it
    values_label, button : the page's words for choosing the values and starting the runs
    """

    name: str
    title: str
    setting: str
    values: tuple
    default: tuple
    metric: str
    question: str = ""
    figure_title: str = ""
    x_title: str = ""
    y_title: str = ""
    log_x: bool = False
    reference: Any = None
    reference_name: str = ""
    values_label: str = "Values to train"
    button: str = "Train one run per value (queued)"


@dataclass(frozen=True)
class TaskOption:
    """A command-line option of one task's ``python -m lib train``, e.g. DR's ``--weights FILE``.

    ``settings(value)`` turns the option's value into settings (``{"weights": FILE, "backbone": "mobilenetv2"}``).
    """

    flag: str
    help: str
    settings: Callable[[str], dict]

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


# The settings of ``model.compile`` that a run's configuration decides: what ``jit_compile``'s choices mean.
JIT_COMPILE = {"auto": "auto", "on": True, "off": False}

COMMON_FIELDS = {
    "data": Field(str, help="dataset folder in Kaggle's layout", widget="", shown=""),
    "seed": Field(int, 0, 2**31 - 1, label="Seed (same seed: same sample, split and initial weights)", shown="",
                  costs=False),
    "epochs": Field(int, 1, 1000, label="Epochs", shown="{} epochs", cap=(None, 50), costs=False),
    "batch_size": Field(int, 1, 1024, label="Batch size", widget="selectbox", choices=(4, 8, 10, 16, 32, 64),
                        shown="", cap=(None, 64)),
    "learning_rate": Field(float, 1e-7, 1.0, label="Learning rate", widget="select_slider", shown="lr {:g}", costs=False),
    "time_budget_s": Field(float, 0, 86400, default=0.0, label="Time budget in seconds (0: none)", step=10.0, shown="",
                           cap=(None, 3600),
                           help="0: train every epoch; else the run measures its speed on this machine and trains only "
                                "the epochs that fit, so that the whole run (data steps, training, evaluation) ends "
                                "within this many seconds"),
    "precision": Field(str, choices=("float32", "mixed_float16", "mixed_bfloat16"), default="float32", label="Precision",
                       widget="selectbox", shown="",
                       help="float32: full precision (the course's). mixed_*: compute in 16 bits and keep the weights in "
                            "32 bits: faster and smaller on a GPU with tensor cores (bfloat16 on A100/H100 and newer, "
                            "float16 with loss scaling on older cards); no faster on a CPU"),
    "jit_compile": Field(str, choices=tuple(JIT_COMPILE), default="auto", label="XLA compilation (jit_compile)",
                         widget="selectbox", shown="",
                         help="compile the training step with XLA (Keras' jit_compile). auto: Keras decides per model "
                              "and backend; off helps where XLA is slow for a layer type (reported for depthwise "
                              "convolutions on some GPUs with TensorFlow)"),
}

# The speed settings every preset starts from: what the course used (a GPU server may change them).
SPEED_DEFAULTS = {"precision": "float32", "jit_compile": "auto"}

# The length of an epoch for tasks whose epoch is otherwise one pass over the training set.
STEPS_FIELD = Field(int, 0, 100000, default=0, label="Batches per epoch (0: one pass over the training set)", shown="",
                    cap=(None, 200),
                    help="0: one pass over the training set (the course's); else this many batches per epoch, cycling "
                         "through the shuffled training set, so a small dataset gets as many optimisation steps as a "
                         "large one")


@dataclass(frozen=True)
class Task:
    """Everything specific to one task.

    Attributes
    ----------
    name : the task's id in configs, run folders and the command line
    title : its name for people
    dataset : the dataset it reads (:class:`Dataset`)
    data_folder : the sub-folder of the dataset whose changes make a cached dataset check stale
    read : ``read(path) -> DatasetCheck``, the reader the pages and the job use
    inspect : ``inspect(path) -> DatasetCheck``, the thorough check of ``python -m lib inspect``
    fields : its settings (``data``, ``seed``, ... and its own), in the order a generic page offers them
    presets : {preset name: {setting: value}}
    headline : the test metric that sums a run up in run lists
    label_settings : the settings that tell two runs of this task apart, in order
    prepare : ``prepare(config, *, check=None, ...)``: the data steps before the model, shared by the page that
        shows them and the job that trains on them
    train : ``train(ctx) -> metrics``, run inside a job (``ctx``: :class:`lib.training.context.TaskContext`)
    check : optional ``check(config)`` raising ``ValueError`` for combinations of settings that do not fit
    check_data : optional ``check_data(config, report)`` raising ``ValueError`` naming a setting that names data
        the dataset does not hold (a volume id), checked before a run folder is made
    diagnose : ``diagnose(*, history, predictions, metrics, status, config=None) -> [Finding | None]``: what to
        tell the student about a finished or stopped run (see :mod:`lib.diagnosis`)
    metrics_shown : the training metrics drawn as curves
    items : what one training example is, for people ("photos", "slices")
    usual_learning_rates : (lowest, highest) learning rate that works for this task (the course's range); the
        diagnosis names a learning rate above it as the likely cause of a run that learned nothing
    metric_aliases : {metric: the name older runs saved it under}
    experiments : the experiments the task offers (:class:`Experiment`)
    options : its command-line options (:class:`TaskOption`)
    saliency : optional ``saliency(run_dir, photo, out) -> dict``: where a trained model looks on one input
    score_folder : optional ``score_folder(run_dir, data, out, *, cache_dir) -> dict``: a finished run's model scores
        another dataset folder (another site), written to ``out`` as a scores CSV (``python -m lib score``)
    report_figures : optional ``report_figures(predictions, config, chosen) -> [(caption, figure)]``: a finished run's test results for
        a student's report (``python -m lib report``), each a plotly figure or an RGB uint8 image; ``chosen`` is the
        threshold the student chose (None: the task's default)
        (Grad-CAM), written to ``out``; None when the task has none
    icon : a Material icon name for the navigation (":material/science:")
    summary : one line for the Home page
    quick_goal : what the quick preset must achieve to fit a lesson on a 2-core laptop, from fresh demo data:
        (wall seconds, lowest and highest headline metric); ``bench/presets.py`` checks it
    step_cost : ``step_cost(config) -> float``, the relative work of one training step (default: the batch size), so
        that a speed measured at some settings prices a run at others (:mod:`lib.jobs.speed`)
    epoch_size : the settings besides the data that decide how many items one pass over the training set holds
        (DR's sample size per class)
    """

    name: str
    title: str
    dataset: Dataset
    data_folder: str
    read: Callable[[str | Path], Any]
    inspect: Callable[[str | Path], Any]
    fields: Mapping[str, Field]
    presets: Mapping[str, Mapping[str, Any]]
    headline: str
    label_settings: tuple[str, ...]
    prepare: Callable[..., Any]
    train: Callable[..., dict]
    check: Callable[[dict], None] | None = None
    check_data: Callable[[dict, Any], None] | None = None
    diagnose: Callable[..., list] = lambda **kwargs: []
    metrics_shown: tuple[str, ...] = ("loss", "accuracy")
    items: str = "items"
    usual_learning_rates: tuple[float, float] | None = None
    metric_aliases: Mapping[str, str] = field(default_factory=dict)
    experiments: tuple[Experiment, ...] = ()
    options: tuple[TaskOption, ...] = ()
    saliency: Callable[..., dict] | None = None
    score_folder: Callable[..., dict] | None = None
    report_figures: Callable[[Mapping, Mapping, float | None], list] | None = None
    icon: str = ":material/science:"
    summary: str = ""
    quick_goal: tuple[float, float, float] | None = None
    step_cost: Callable[[dict], float] = lambda config: float(config.get("batch_size") or 1)
    epoch_size: tuple[str, ...] = ()

    def metric(self, metrics: Mapping, name: str):
        """The value of metric ``name`` in a run's metrics, also where an older version saved it under another name;
        None when absent."""
        if name in metrics:
            return metrics[name]
        old = self.metric_aliases.get(name)
        return metrics.get(old) if old else None

    def experiment(self, name: str) -> Experiment:
        """The experiment called ``name``; KeyError naming the task's experiments otherwise."""
        for experiment in self.experiments:
            if experiment.name == name:
                return experiment
        raise KeyError(f"{self.name} has no experiment {name!r}; it has {', '.join(e.name for e in self.experiments) or 'none'}")
