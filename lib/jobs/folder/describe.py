"""Why a run reads as a sentence: short human descriptions of runs and their progress (run lists, the training panel).

Each function is handed what it describes (and the run's :class:`lib.contract.Task` where the task's declarations
word it); none looks a task up.
"""

from __future__ import annotations

import time

from lib.contract import Task
from lib.metrics import metric_name
from lib.text import duration


def config_label(config: dict, task: Task) -> str:
    """The settings that tell runs of ``task`` apart, each as its field shows it (:attr:`lib.contract.Field.shown`),
    e.g. 'small_cnn · lr 0.001 · 20 epochs'."""
    parts = []
    for key in task.label_settings:
        if key not in config or key not in task.fields:
            continue
        shown = task.fields[key].describe(config[key])
        if shown:
            parts.append(shown)
    return " · ".join(parts)


def metric_text(value, *, decimals: int = 3) -> str:
    """A saved result as the pages and the report show it: a count (an int: ``n_train``, ``n_test``) whole, with
    thousands separators; anything else to ``decimals`` places. The one place results are formatted.

    Examples
    --------
    >>> metric_text(240), metric_text(0.85123), metric_text(0.85123, decimals=4)
    ('240', '0.851', '0.8512')
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{decimals}f}"


def run_label(summary, task: Task | None) -> str:
    """The run's label, with the epochs it actually trained where it stopped (or a time budget cut it) before its
    planned epochs: "lr 0.001 · 20 epochs" becomes "lr 0.001 · 5 of 20 epochs". A label the student wrote is kept."""
    label = summary.label
    trained, planned = summary.status.get("epochs_trained"), summary.config.get("epochs")
    field = task.fields.get("epochs") if task else None
    if (field is None or isinstance(trained, bool) or not isinstance(trained, int) or isinstance(planned, bool)
            or not isinstance(planned, int) or not 0 <= trained < planned):
        return label
    planned_text = field.describe(planned)  # "20 epochs", as config_label wrote it
    if not planned_text or planned_text not in label:
        return label
    return label.replace(planned_text, f"{trained} of {planned_text}")


def run_line(summary, task: Task | None) -> str:
    """One line for a run list: label (with the epochs trained, :func:`run_label`), state, ``task``'s headline
    metric, when."""
    metric = task.headline if task else None
    value = task.metric(summary.metrics, metric) if metric else None
    shown = f" · {metric_name(metric)} {value:.3f}" if isinstance(value, (int, float)) else ""
    when = time.strftime("%d %b %H:%M", time.localtime(summary.created)) if summary.created else ""
    return f"{run_label(summary, task)} · {summary.state}{shown} · {when}"


def trained_with(config: dict, status: dict, history=None) -> str:
    """Where and how a run trained, for its results and the command line, e.g.
    'Keras 3.15.1 on jax 0.10.2 · cuda:0 · mixed_bfloat16 · XLA auto · 1,370 images/s · peak GPU memory 2.1 GB'.

    Examples
    --------
    >>> trained_with({"versions": {"keras": "3.15.1", "backend": "tensorflow", "tensorflow": "2.21.0", "devices": []},
    ...               "precision": "float32", "jit_compile": "auto"}, {})
    'Keras 3.15.1 on tensorflow 2.21.0 · CPU · float32 · XLA auto'
    """
    versions = status.get("versions") or config.get("versions")  # config.json held them before the job stopped
    versions = versions if isinstance(versions, dict) else {}  # rewriting what it had read (an older run's folder)
    parts = []
    backend = versions.get("backend")
    if backend:
        parts.append(f"Keras {versions.get('keras', '?')} on {backend} {versions.get(backend, '?')}")
        devices = versions.get("devices")
        parts.append(", ".join(map(str, devices)) if isinstance(devices, list) and devices else "CPU")
    parts.append(str(config.get("precision", "float32")))
    parts.append(f"XLA {config.get('jit_compile', 'auto')}")
    rates = [] if history is None or "images_per_s" not in getattr(history, "columns", ()) else history["images_per_s"].dropna()
    if len(rates):
        parts.append(f"{float(rates.iloc[-1]):,.0f} images/s")
    peak = status.get("device_memory_peak_mb")
    if isinstance(peak, (int, float)):
        parts.append(f"peak GPU memory {peak / 1024:.1f} GB")
    return " · ".join(parts)


def describe_failure(summary) -> str:
    """Why a run has no results, and what it left behind, in a sentence or two."""
    if summary.state == "failed":
        text = summary.error or "failed without saying why (see log.txt in its folder)"
    else:
        text = f"stopped before it finished an epoch ({summary.status.get('stop_reason') or 'on request'})"
    epoch = summary.status.get("checkpoint_epoch")
    if epoch:
        text = text.rstrip(".") + f". The best model it had (epoch {epoch}) is kept as checkpoint.keras in its folder."
    return text


def progress_line(status: dict, progress: dict) -> tuple[float, str]:
    """(fraction done in [0, 1], a sentence) for the training panel."""
    state = status.get("state")
    if state == "queued":
        position = status.get("queue_position")
        if not status.get("pid") and status.get("executor") != "ray":  # Ray's waiting tasks have no worker yet
            return 0.0, "Starting a worker process ..."
        wait = status.get("queue_wait_s")
        about = f" (about {duration(wait)})" if isinstance(wait, (int, float)) else ""
        if isinstance(status.get("slot"), int):  # it has its slot and loads the task and its framework
            return 0.0, "Got a training slot: starting ..."
        if position is None:  # registered, its place not worked out yet (a fraction of a second)
            return 0.0, "Taking its place in the queue ..."
        if position == 0:
            return 0.0, f"First in the queue: waiting for a training slot to free up (other jobs are using them){about} ..."
        return 0.0, f"Waiting in the queue: {position} job{'s' if position != 1 else ''} ahead of yours{about}"
    if state == "running" and status.get("stop_requested"):
        return float(progress.get("fraction") or 0.0), "Stopping after this batch ..."
    phase = progress.get("phase")
    if phase and phase != "training":
        fraction = progress.get("fraction_in_phase")
        detail = f" {progress['message']}" if progress.get("message") else ""
        return float(fraction or 0.0), f"{phase.capitalize()}{detail} ..."
    if not progress:
        return 0.0, "Preparing ..."
    metrics = progress.get("metrics") or {}
    planned = progress.get("epochs", "?")
    shown = f"Epoch {progress.get('epoch', 0) + 1}/{planned}"
    if isinstance(progress.get("epochs_set"), int) and progress["epochs_set"] != planned:
        why = progress.get("plan_why") or f"the time budget's plan; {progress['epochs_set']} set"
        shown += f" ({why})"
    parts = [shown,
             f"batch {progress.get('step', 0)}/{progress.get('steps', '?')}"]
    if metrics.get("loss") is not None:
        parts.append(f"loss {metrics['loss']:.4f}")
    if progress.get("images_per_s"):
        parts.append(f"{progress['images_per_s']:.0f} images/s")
    if isinstance(progress.get("device_memory_mb"), (int, float)):
        parts.append(f"GPU memory {progress['device_memory_mb'] / 1024:.1f} GB")
    if progress.get("learning_rate"):
        parts.append(f"lr {progress['learning_rate']:.2g}")
    parts.append(f"ETA {duration(progress.get('eta_s'))}")
    return float(progress.get("fraction") or 0.0), " · ".join(parts)
