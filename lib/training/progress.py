"""The Keras callback that reports progress into the run folder and obeys stop requests.

Per batch (throttled to one write every ``interval_s``): progress.json with the running loss and
metrics, learning rate, images/s, the accelerator's memory in use (on a GPU) and ETA. Per epoch: a row appended to history.csv. Every batch:
a check for a stop request (a file's existence: microseconds), so a stop takes effect within one batch.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from lib.atomic import atomic_path
from lib.jobs.folder import files
from lib.jobs.folder.protocol import update_status
from lib.training.budget import epochs_that_fit, margin_s, steady_plan
from lib.training.device import device_memory


def _float(value) -> float | None:
    try:
        number = float(np.asarray(value))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class ProgressReporter(keras.callbacks.Callback):
    """Write progress and history for one run; stop when ``should_stop()`` returns a reason.

    Parameters
    ----------
    run_dir : the run folder
    epochs, steps_per_epoch, batch_size : for images/s and ETA
    should_stop : callable returning None, or a sentence saying why training must stop now
    interval_s : minimum seconds between two progress writes within an epoch
    echo : callable receiving one line per finished epoch (the command line prints them)
    """

    def __init__(self, run_dir: Path, *, epochs: int, steps_per_epoch: int, batch_size: int,
                 should_stop: Callable[[], str | None], interval_s: float = 1.0,
                 echo: Callable[[str], None] | None = None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.epochs, self.steps_per_epoch, self.batch_size = epochs, max(1, steps_per_epoch), batch_size
        self.epochs_set = epochs  # as configured; ``epochs`` follows a time budget's plan
        self.plan_why: str | None = None  # the plan in words, when it differs from ``epochs_set``
        self.should_stop = should_stop
        self.interval_s = interval_s
        self.echo = echo
        self.rows: list[dict] = []
        self.stop_reason: str | None = None
        self.diverged: str | None = None  # set when the loss became NaN / infinite
        self._last_write = 0.0
        self._epoch = 0
        self._epoch_start = 0.0
        self._steps_done = 0
        self._train_start = 0.0
        self._timed_steps = 0
        self._timed_seconds = 0.0
        self._batch_start = 0.0
        self._epoch_steps = 0
        self._test_start = 0.0
        self.first_step_s = 0.0  # the first batch: tracing / compiling the step, then one step
        self.validation_s = 0.0  # all validation passes
        self.device_peak_mb: float | None = None  # the accelerator's peak memory (None: no accelerator)
        self._has_device = True  # until the first reading says otherwise

    # helpers ---------------------------------------------------------------------------------
    def _lr(self) -> float | None:
        try:
            return _float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        except Exception:  # optimizer without a readable rate
            return None

    def _rate(self) -> float | None:
        # images/s over the batches timed so far (all but the first, which includes graph tracing)
        if self._timed_seconds <= 0 or self._timed_steps == 0:
            return None
        return self._timed_steps * self.batch_size / self._timed_seconds

    def _eta(self) -> float | None:
        rate = self._rate()
        if not rate:
            return None
        remaining = self.epochs * self.steps_per_epoch - self._steps_done
        return max(0.0, remaining * self.batch_size / rate)

    def _device_memory_mb(self) -> float | None:
        """The accelerator's memory in use now (its peak kept in ``device_peak_mb``); None without one."""
        if not self._has_device:
            return None
        memory = device_memory()
        if memory is None:
            self._has_device = False
            return None
        self.device_peak_mb = max(self.device_peak_mb or 0.0, memory.peak_mb)
        return memory.in_use_mb

    def _write_progress(self, phase: str, step: int, logs: dict | None) -> None:
        payload = {
            "phase": phase,
            "epoch": self._epoch,
            "epochs": self.epochs,
            "epochs_set": self.epochs_set,
            "plan_why": self.plan_why,
            "step": step,
            "steps": self.steps_per_epoch,
            "fraction": min(1.0, self._steps_done / (self.epochs * self.steps_per_epoch)),
            "metrics": {k: _float(v) for k, v in (logs or {}).items()},
            "learning_rate": self._lr(),
            "images_per_s": self._rate(),
            "device_memory_mb": self._device_memory_mb(),
            "eta_s": self._eta(),
            "elapsed_s": time.time() - self._train_start,
            "time": time.time(),
        }
        files.write_json_atomic(self.run_dir / files.PROGRESS, payload, durable=False)
        self._last_write = time.monotonic()

    def _check_stop(self) -> None:
        if self.stop_reason is None:
            self.stop_reason = self.should_stop()
        if self.stop_reason is not None:
            self.model.stop_training = True

    # keras hooks -------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._train_start = time.time()
        self._write_progress("training", 0, None)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_steps = 0
        self._epoch_start = time.time()
        self._check_stop()

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and _float(loss) is None and self.diverged is None:
            self.diverged = f"the training loss became {float(np.asarray(loss))} at epoch {self._epoch + 1}, batch {batch + 1}"
            self.stop_reason = self.stop_reason or "diverged"
            self.model.stop_training = True
        self._steps_done += 1
        self._epoch_steps += 1
        took = time.perf_counter() - self._batch_start
        if self._steps_done > 1:  # the very first batch traces the graph: leave it out of the rate
            self._timed_steps += 1
            self._timed_seconds += took
        else:
            self.first_step_s = took
        self._check_stop()
        if time.monotonic() - self._last_write >= self.interval_s:
            self._write_progress("training", batch + 1, logs)

    def on_test_begin(self, logs=None):
        self._test_start = time.perf_counter()

    def on_test_end(self, logs=None):
        self.validation_s += time.perf_counter() - self._test_start

    def timing(self) -> dict:
        """Where training's time went, in seconds: the first step (tracing), the other steps, validation."""
        return {"first step": round(self.first_step_s, 2), "training steps": round(self._timed_seconds, 2),
                "validation": round(self.validation_s, 2), "steps": self._steps_done}

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1}
        row.update({k: _float(v) for k, v in (logs or {}).items() if k != "learning_rate"})
        row["learning_rate"] = self._lr()
        row["seconds"] = round(time.time() - self._epoch_start, 3)
        row["images_per_s"] = self._rate()
        row["partial"] = self._epoch_steps < self.steps_per_epoch  # a stop cut this epoch short
        row["time"] = round(time.time(), 3)
        self.rows.append(row)
        files.write_history_atomic(self.run_dir / files.HISTORY, self.rows, durable=False)
        self._write_progress("training", self.steps_per_epoch, logs)
        if self.echo:
            shown = "  ".join(f"{k} {v:.4g}" for k, v in row.items() if isinstance(v, float) and k != "time")
            self.echo(f"epoch {epoch + 1}/{self.epochs}  {shown}")


class BestCheckpoint(keras.callbacks.Callback):
    """Save the best model so far (lowest validation loss, else training loss) at the end of each epoch.

    Written atomically to ``checkpoint.keras``, with its epoch recorded in status.json, so a job that is
    killed (SIGKILL, out of memory, a power cut) still leaves the model of its best finished epoch behind.
    """

    def __init__(self, run_dir: Path, *, monitor: tuple[str, ...] = ("val_loss", "loss")):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.monitor = monitor
        self.best: float | None = None
        self.seconds = 0.0  # spent saving checkpoints

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        name = next((m for m in self.monitor if m in logs), None)
        value = _float(logs.get(name)) if name else None
        if value is None or (self.best is not None and value >= self.best):
            return
        self.best = value
        start = time.perf_counter()
        with atomic_path(self.run_dir / files.CHECKPOINT) as tmp:
            self.model.save(tmp)
        self.seconds += time.perf_counter() - start
        update_status(self.run_dir, checkpoint_epoch=epoch + 1, checkpoint_metric=f"{name} {value:.4g}")


class BudgetPlanner(keras.callbacks.Callback):
    """Train only the epochs that fit the run's time budget, measuring this machine's speed as it goes.

    At the end of every epoch it re-plans (:func:`lib.training.budget.epochs_that_fit`) from the mean of the
    last epochs (the first, which includes tracing, only until a second one is done) and tells the
    ``reporter`` the planned total, so the progress bar and ETA stay true; when no further epoch fits, it
    ends training there. Within an epoch it ends training early when even the evaluation still to come would
    overrun the budget (a first epoch longer than the whole budget). Keep it after the other callbacks, so
    that an epoch's duration includes their work (the checkpoint).

    Parameters
    ----------
    budget_s : the whole run's budget in seconds (> 0)
    started : ``time.time()`` when the run started
    most : the configured number of epochs
    evaluation_cost : the evaluation after training, in validation passes (test set size / validation set size)
    reporter : the run's :class:`ProgressReporter` (its ``epochs`` follows the plan), or None
    """

    def __init__(self, *, budget_s: float, started: float, most: int, evaluation_cost: float = 1.0,
                 reporter: ProgressReporter | None = None):
        super().__init__()
        self.budget_s, self.started, self.most = float(budget_s), started, most
        self.evaluation_cost = max(0.0, evaluation_cost)
        self.reporter = reporter
        self.planned = most
        self.epoch_seconds: list[float] = []
        self.validation_s = 0.0
        self.cut: str | None = None  # why training ended before ``most`` epochs
        self._epoch_start = 0.0
        self._test_start = 0.0

    def _after_s(self, *, validations_left: float) -> float:
        return (self.evaluation_cost + validations_left) * self.validation_s

    def _epoch_s(self) -> float:
        recent = self.epoch_seconds[1:][-3:] or self.epoch_seconds
        return sum(recent) / len(recent)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()

    def on_test_begin(self, logs=None):
        self._test_start = time.time()

    def on_test_end(self, logs=None):
        self.validation_s = time.time() - self._test_start

    def on_train_batch_end(self, batch, logs=None):
        now = time.time()
        if now - self.started + self._after_s(validations_left=1) + margin_s(self.budget_s) > self.budget_s:
            self.cut = (f"the time budget of {self.budget_s:g} s ran out in epoch {len(self.epoch_seconds) + 1}, "
                        f"batch {batch + 1}")
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.time() - self._epoch_start)
        done = epoch + 1
        self.planned = epochs_that_fit(budget_s=self.budget_s, elapsed_s=time.time() - self.started,
                                       epoch_s=self._epoch_s(), after_s=self._after_s(validations_left=0),
                                       done=done, most=self.most)
        if self.reporter is not None:
            shown = steady_plan(shown=self.reporter.epochs if done > 1 else None, new=self.planned, done=done,
                                most=self.most)
            self.reporter.epochs = shown
            self.reporter.plan_why = (f"{shown} of the {self.most} set fit the {self.budget_s:g} s budget at about "
                                      f"{self._epoch_s():.1f} s an epoch" if shown != self.most else None)
        if self.planned <= done < self.most and self.cut is None:
            self.cut = (f"the time budget of {self.budget_s:g} s allowed {done} of the {self.most} epochs on this "
                        f"machine (about {self._epoch_s():.1f} s per epoch)")
            self.model.stop_training = True
