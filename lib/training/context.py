"""What a task gets to do its work: its configuration, progress reporting, stop checks and saving."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from lib import paths
from lib.atomic import atomic_path
from lib.contract import JIT_COMPILE
from lib.metrics.baseline import chance_loss, input_spread
from lib.jobs.folder import files
from lib.jobs.folder.protocol import abandoned, stop_requested, update_status  # noqa: F401  (abandoned: its old home)

class Stopped(Exception):
    """Raised when a stop is asked for before training began (while reading or preprocessing the data)."""


class Diverged(Exception):
    """The training loss became NaN or infinite; the message says when."""


@dataclass
class TaskContext:
    run_dir: Path
    config: dict
    echo: Callable[[str], None] = print
    parent_pid: int | None = None  # set when a server started us: if it goes away, we stop
    notes: list[str] = field(default_factory=list)
    stop_reason: str | None = None
    started: float = field(default_factory=time.time)  # when the run started (before TensorFlow was imported)
    _reporter: object = None
    _checkpoint: object = None
    _planner: object = None
    _inputs: object = None
    _phases: dict = field(default_factory=dict)  # {phase: seconds}, in the order they ran
    _phase: tuple = ()  # (name, since) of the phase now running

    @property
    def cache_dir(self) -> Path:
        return paths.cache_dir()

    @property
    def compile_options(self) -> dict:
        """The settings of ``model.compile`` that come from the run's configuration (XLA or not)."""
        return {"jit_compile": JIT_COMPILE[self.config.get("jit_compile", "auto")]}

    def compile(self, model, *, loss: str = "binary_crossentropy", metrics: tuple[str, ...] = ("accuracy",),
                weighted: bool = False) -> None:
        """Compile ``model`` as every task of the course does: Adam at the run's learning rate, ``loss``, ``metrics``
        (``weighted``: weighted by the batches' sample weights, e.g. Lung 3D's ignored voxels), and the run's XLA
        setting. Keyword arguments only, as Keras 3 requires."""
        import keras  # framework: the job's process only

        chosen = {"weighted_metrics" if weighted else "metrics": list(metrics)}
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=self.config["learning_rate"]), loss=loss, **chosen,
                      **self.compile_options)

    def should_stop(self) -> str | None:
        """None, or why the job must stop now (checked every batch, so it must be cheap)."""
        if stop_requested(self.run_dir):
            return "stopped on request"
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            return "the app that started this job has exited"
        return abandoned(self.run_dir, self.config, since=self.started)

    def check_stop(self) -> None:
        """Raise :class:`Stopped` when the job must stop (for the phases before training: it has learned nothing yet)."""
        reason = self.should_stop()
        if reason:
            self.stop_reason = reason
            raise Stopped(reason)

    def phase(self, name: str, *, fraction: float | None = None, message: str = "", stoppable: bool = True) -> None:
        """Report a phase outside the epochs (reading data, preprocessing, evaluating). A stoppable phase (the data
        steps, before anything is learned) also honours a stop asked for meanwhile (:meth:`check_stop`), so call
        it often during long data steps; evaluation after training is not stoppable: it saves what was learned."""
        self._enter(name)
        files.write_json_atomic(self.run_dir / files.PROGRESS, {
            "phase": name, "fraction_in_phase": fraction, "message": message, "time": time.time(),
        }, durable=False)
        if stoppable:
            self.check_stop()

    def _enter(self, name: str | None) -> None:
        """Close the phase now running (adding up its seconds) and start ``name`` (None: start nothing)."""
        now = time.time()
        current, since = self._phase or ("starting", self.started)
        if name == current:
            return
        self._phases[current] = self._phases.get(current, 0.0) + now - since
        self._phase = (name, now) if name else ("", now)

    def timing(self) -> dict:
        """Where the run's time went, in seconds: each phase (starting is the time before the first phase:
        importing the framework), and within training the first step, the other steps, validation,
        checkpoints and making batches (which overlaps the steps)."""
        self._enter(None)
        out = {name: round(seconds, 2) for name, seconds in self._phases.items() if name}
        if self._reporter is not None:
            out["training, of which"] = {
                **self._reporter.timing(),
                "checkpoints": round(getattr(self._checkpoint, "seconds", 0.0), 2),
                **({"making batches": round(self._inputs.seconds, 2)} if hasattr(self._inputs, "seconds") else {}),
            }
        return out

    @property
    def device_peak_mb(self) -> float | None:
        """The accelerator's peak memory during training in MB (None without an accelerator or before training)."""
        peak = getattr(self._reporter, "device_peak_mb", None)
        return None if peak is None else round(peak, 1)

    def describe_training_data(self, *, inputs, labels, weights=None) -> dict:
        """Record what the diagnosis reads a run against (:mod:`lib.metrics.baseline`): the loss of a constant
        prediction at the training set's class balance (``chance_loss``, with ``positive_share``) and how much the
        inputs differ (``input_spread``). ``inputs``: training items (N, ...), a sample is enough; ``labels``: their
        0 / 1 labels or masks; ``weights``: the loss's sample weights, if any."""
        facts = {k: round(v, 6) for k, v in chance_loss(labels, weights).items() if k != "weighted_share"}
        facts["input_spread"] = input_spread(inputs)
        facts["train_items"] = int(len(inputs))  # one pass's size: prices a run of another batch size (lib.jobs.speed)
        update_status(self.run_dir, **facts)
        return facts

    def note(self, message: str) -> None:
        """A message for the person watching (e.g. weights could not be downloaded)."""
        self.notes.append(message)
        update_status(self.run_dir, notes=self.notes)
        self.echo(f"note: {message}")

    def callbacks(self, *, epochs: int, steps_per_epoch: int, batch_size: int, evaluation_cost: float = 1.0,
                  inputs=None) -> list:
        """The Keras callbacks every task trains with: progress and stop (:class:`ProgressReporter`), a
        checkpoint of the best model so far at the end of each epoch (:class:`BestCheckpoint`), and with a
        time budget the :class:`BudgetPlanner` (``evaluation_cost``: the evaluation after training in
        validation passes). ``inputs``: the training batches, whose ``seconds`` the timing reports."""
        from lib.training.progress import BestCheckpoint, BudgetPlanner, ProgressReporter  # framework: Keras callbacks: the job only

        self._enter("training")
        self._inputs = inputs

        def check():
            reason = self.should_stop()
            if reason and self.stop_reason is None:
                self.stop_reason = reason
            return reason

        self._reporter = ProgressReporter(self.run_dir, epochs=epochs, steps_per_epoch=steps_per_epoch,
                                          batch_size=batch_size, should_stop=check, echo=self.echo)
        self._checkpoint = BestCheckpoint(self.run_dir)
        callbacks = [self._reporter, self._checkpoint]
        budget = float(self.config.get("time_budget_s") or 0)
        if budget > 0:
            self._planner = BudgetPlanner(budget_s=budget, started=self.started, most=epochs,
                                          evaluation_cost=evaluation_cost, reporter=self._reporter)
            callbacks.append(self._planner)
        return callbacks

    def save_trained(self, model) -> None:
        """After ``fit``: fail the run if the loss diverged (evaluating NaN weights teaches nothing), else save the model."""
        diverged = getattr(self._reporter, "diverged", None)
        if diverged:
            saved = " The best model before that is kept as checkpoint.keras." if (self.run_dir / files.CHECKPOINT).is_file() else ""
            raise Diverged(f"{diverged}: training diverged (try a smaller learning rate).{saved}")
        cut = getattr(self._planner, "cut", None)
        if cut and self.stop_reason is None:
            self.note(f"Training ended early: {cut}.")
            update_status(self.run_dir, budget_cut=cut)
        if self._reporter is not None:
            update_status(self.run_dir, epochs_trained=len(self._reporter.rows))
        self._enter("saving the model")
        with atomic_path(self.run_dir / files.MODEL) as tmp:
            model.save(tmp)

    def save_split(self, ids: dict[str, list[str]]) -> None:
        """Record which items (photo ids, slice names, volume ids) went into each split."""
        files.write_json_atomic(self.run_dir / files.SPLIT, {name: [str(i) for i in items] for name, items in ids.items()})

    def finite(self, values, what: str):
        """``values`` unchanged when every value is finite; else ValueError saying how many are not (never silently 0)."""
        array = np.asarray(values)
        bad = int(np.count_nonzero(~np.isfinite(array)))
        if bad:
            raise Diverged(f"{bad} of the {array.size} {what} are NaN or infinite: the model's weights are broken "
                           "(usually a learning rate that is too large)")
        return values

    def save_predictions(self, **arrays) -> None:
        files.write_npz_atomic(self.run_dir / files.PREDICTIONS, **arrays)
