"""Why a run outlives its job: listing, loading, comparing and deleting saved runs (status, stop and heartbeat:
:mod:`lib.jobs.folder.protocol`)."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import threading
import time
from contextlib import contextmanager
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Collection, NamedTuple

import numpy as np
import pandas as pd

from lib.atomic import atomic_path, remove_quietly
from lib.jobs.folder import files
from lib.jobs.folder.files import read_json, write_json_atomic
from lib.jobs.folder.protocol import ACTIVE_STATES, current_status, read_status, refresh_status
from lib.jobs.folder.schema import check_config, check_metrics, check_progress

SHARED_OWNER = "shared"  # runs prepared from the command line: visible to every session, read-only there


def visible_to(summary: "RunSummary", viewer: str | None, *, lecturer: bool = False) -> bool:
    """Whether ``viewer`` (an owner; None: everyone, e.g. the command line) may see the run: their own, the shared
    ones and the published ones; a ``lecturer`` sees every run."""
    return viewer is None or lecturer or summary.owner in (viewer, SHARED_OWNER) or summary.published


def load_predictions(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a run's predictions.npz (no pickled objects); ValueError naming the file when it is damaged."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{Path(path).name} cannot be read ({type(exc).__name__}: {exc})") from exc


_PUBLISHER_CHARS = 100


def _publisher(marker: Path) -> str | None:
    """Who published a run (the marker's first characters), None when it is not published or does not say."""
    try:
        with open(marker, encoding="utf-8", errors="replace") as f:
            name = f.read(_PUBLISHER_CHARS).strip()
    except OSError:
        return None
    return name or None


@dataclass
class RunSummary:
    run_id: str
    path: Path
    task: str
    state: str
    owner: str
    created: float
    label: str
    metrics: dict = field(default_factory=dict)
    error: str | None = None
    config: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    published: bool = False  # a lecturer published it to the class
    published_by: str | None = None  # who published it, as they are shown (None: not recorded)
    shared: bool = False  # its owner shared it with the class's experiment


@dataclass
class Run:
    """Everything saved about one run (the model is loaded separately, on demand)."""

    summary: RunSummary
    config: dict
    status: dict
    history: pd.DataFrame
    metrics: dict
    progress: dict

    @property
    def path(self) -> Path:
        return self.summary.path

    def predictions(self) -> dict[str, np.ndarray]:
        """The saved test-set predictions; raises ValueError when there are none (yet)."""
        target = self.path / files.PREDICTIONS
        if not target.is_file():
            raise ValueError(f"run {self.summary.label} has no saved predictions ({self.summary.state})")
        return load_predictions(target)

    def model_path(self) -> Path:
        return self.path / files.MODEL


class Unreadable(NamedTuple):
    """A run folder that could not be read: its name, why, and its owner where config.json still says."""

    name: str
    reason: str
    owner: str | None = None


def _owner_of(run_dir: Path) -> str | None:
    try:
        owner = read_json(run_dir / files.CONFIG).get("owner")
    except (ValueError, OSError):
        return None
    return owner if isinstance(owner, str) else None


@dataclass(frozen=True)
class Snapshot:
    """Every run of a runs folder as one listing saw it (all owners, newest first) and the folders it could not read;
    :meth:`select` gives what one viewer may see, as :meth:`RunStore.list` does. A page builds one per script run
    and hands it to every part that needs the runs (ui.runs.snapshot)."""

    runs: tuple
    unreadable: tuple

    def select(self, *, task: str | None = None, viewer: str | None = None,
               lecturer: bool = False) -> tuple[list[RunSummary], list[Unreadable]]:
        """(runs, unreadable) for ``viewer`` (:meth:`RunStore.list`'s parameters)."""
        runs = [r for r in self.runs if (not task or r.task == task) and visible_to(r, viewer, lecturer=lecturer)]
        problems = [p for p in self.unreadable if viewer is None or lecturer or p.owner == viewer]
        return runs, problems


def _stamp(run_dir: Path) -> tuple:
    """What changes when a run folder's content does: the folder's own time (every atomic write renames into it, a
    marker made or removed) and status.json's (a hand edit in place)."""
    folder = run_dir.stat()
    try:
        status = (run_dir / files.STATUS).stat()
        return folder.st_mtime_ns, folder.st_ino, status.st_mtime_ns, status.st_size
    except OSError:
        return folder.st_mtime_ns, folder.st_ino, None, None


class RunStore:
    """The runs under one folder. Reading never raises for what a folder holds: a folder that does not
    fit :mod:`lib.jobs.folder.schema`, or names a task this server does not have (``tasks``: the names it has; None: any),
    is reported as :class:`Unreadable`, and can still be deleted. Reading never writes either: a run that can never end
    by itself is shown failed (:func:`lib.jobs.folder.protocol.current_status`) and marked so by :meth:`settle_stuck`.

    A store remembers what it read of each folder until the folder changes (:func:`_stamp`): a listing then costs two
    ``stat`` calls per unchanged folder instead of three JSON files, so one store can serve every page of a server."""

    def __init__(self, root: str | Path, *, tasks: Collection[str] | None = None):
        self.root = Path(root)
        self.tasks = None if tasks is None else frozenset(tasks)
        self._seen: dict[str, tuple[tuple, object]] = {}  # folder name -> (its stamp, its summary or why unreadable)
        self._lock = threading.Lock()
        self.listings = 0  # how many times the folder was listed (the tests count them)

    @contextmanager
    def admission(self, timeout_s: float = 60.0):
        """Hold the runs folder's admission lock (``.admission.lock``, ``fcntl.flock``) while a caller counts a user's
        runs and creates new ones: a limit checked and the run it lets through are one step, also between several
        app servers sharing the folder. The operating system releases the lock if its holder dies."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.root / ".admission.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise OSError(f"the runs folder {self.root.name} stayed locked for {timeout_s:.0f} s; try again")
                    time.sleep(0.02)
            yield
        finally:
            os.close(fd)  # releases the lock

    def create(self, config: dict, *, owner: str, label: str = "") -> Path:
        """Make a new run folder holding ``config`` (which must name its ``task``), in state "queued".

        The folder is assembled under a hidden name and renamed into place, so a listing never sees it
        half made; if writing fails (a full disk), nothing is left behind and the error is raised.
        """
        task = config.get("task")
        if not task:
            raise ValueError("config must name its task")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{task}-{secrets.token_hex(3)}"
        staging = self.root / f".new-{run_id}"
        staging.mkdir(mode=0o700)  # the server's user only: configs name their owners, logs hold errors
        try:
            now = time.time()
            write_json_atomic(staging / files.CONFIG, {**config, "run_id": run_id, "owner": owner, "label": label or run_id})
            write_json_atomic(staging / files.STATUS, {"state": "queued", "submitted": now, "created": now})
            target = self.root / run_id
            staging.rename(target)
        except BaseException:
            remove_quietly(staging)
            raise
        return target

    def path(self, run_id: str) -> Path:
        if not run_id or "/" in run_id or run_id.startswith(".") or run_id in ("..", "."):
            raise ValueError(f"not a run id: {run_id!r}")
        return self.root / run_id

    def _summary(self, run_dir: Path) -> RunSummary:
        return self._seen_now(self._read(run_dir))

    @staticmethod
    def _seen_now(summary: RunSummary) -> RunSummary:
        """``summary`` as a reader sees it now: an active run that can never end by itself, failed (nothing written)."""
        if summary.state not in ACTIVE_STATES:
            return summary
        status = current_status(summary.path, summary.status)
        if status is summary.status:
            return summary
        return replace(summary, state=status["state"], error=status.get("error"), status=status)

    def _read(self, run_dir: Path) -> RunSummary:
        config = check_config(read_json(run_dir / files.CONFIG))
        if self.tasks is not None and config["task"] not in self.tasks:
            raise ValueError(f"config.json names the task {config['task']!r:.60}, which this server does not have "
                             f"(it has {', '.join(sorted(self.tasks))})")
        status = read_status(run_dir)
        metrics = {}
        if (run_dir / files.METRICS).is_file():
            metrics = check_metrics(read_json(run_dir / files.METRICS))
        label = config.get("label") or run_dir.name
        return RunSummary(
            run_id=run_dir.name, path=run_dir, task=config["task"], state=status["state"], owner=config["owner"],
            created=float(status.get("created", 0.0)), label=label, metrics=metrics,
            error=status.get("error"), config=config, status=status, published=(run_dir / files.PUBLISHED).exists(),
            published_by=_publisher(run_dir / files.PUBLISHED), shared=(run_dir / files.SHARED).exists(),
        )

    def _folders(self) -> list[Path]:
        self.listings += 1
        try:
            return sorted(p for p in self.root.iterdir() if not p.name.startswith(".") and p.is_dir())
        except OSError:
            return []

    def list(self, *, task: str | None = None, viewer: str | None = None,
             lecturer: bool = False) -> tuple[list[RunSummary], list[Unreadable]]:
        """Runs, newest first, with the folders that could not be read.

        Parameters
        ----------
        task : only runs of this task
        viewer : an owner; when given, only that owner's runs, the shared and the published ones are listed, and
            only that owner's unreadable folders
        lecturer : the viewer is a lecturer: every run and every unreadable folder is listed

        Returns
        -------
        (runs, unreadable): the unreadable folders are skipped from ``runs``, each with its reason.
        """
        return self.snapshot().select(task=task, viewer=viewer, lecturer=lecturer)

    def snapshot(self) -> Snapshot:
        """Every run and every unreadable folder, as they are now: one listing of the folder, a folder read again only
        when it changed since this store last read it."""
        with self._lock:
            runs, problems, present = [], [], set()
            for run_dir in self._folders():
                try:
                    stamp = _stamp(run_dir)
                except OSError:
                    continue  # deleted meanwhile
                present.add(run_dir.name)
                seen = self._seen.get(run_dir.name)
                if seen is None or seen[0] != stamp:
                    try:
                        value = self._read(run_dir)
                    except (ValueError, OSError) as exc:
                        value = Unreadable(run_dir.name, str(exc), _owner_of(run_dir))
                    seen = self._seen[run_dir.name] = (stamp, value)
                if isinstance(seen[1], Unreadable):
                    problems.append(seen[1])
                else:
                    runs.append(self._seen_now(seen[1]))
            for gone in set(self._seen) - present:
                del self._seen[gone]
        runs.sort(key=lambda r: (r.created, r.run_id), reverse=True)
        return Snapshot(tuple(runs), tuple(problems))

    def settle_stuck(self) -> int:
        """Mark every active run that can never end by itself failed, in its status.json (:func:`refresh_status`):
        the explicit step that readers never take. Its owners: the admission lock, before it counts a user's runs,
        and the local executor when a worker process ends. Returns how many it marked."""
        marked = 0
        for run in self.snapshot().runs:
            seen = self._seen.get(run.run_id)
            written = seen[1].state if seen is not None and isinstance(seen[1], RunSummary) else None
            if run.state == "failed" and written in ACTIVE_STATES:  # failed in the view only: write it
                try:
                    refresh_status(run.path)
                except (ValueError, OSError):
                    continue
                marked += 1
        return marked

    def load(self, run_id: str, *, viewer: str | None = None, lecturer: bool = False) -> Run:
        """Load a run; raises ValueError when it is corrupt, missing or not visible to ``viewer``."""
        run_dir = self.path(run_id)
        if not run_dir.is_dir():
            raise ValueError(f"no run {run_id} in {self.root}")
        try:
            summary = self._summary(run_dir)
        except OSError as exc:
            raise ValueError(f"run {run_id} cannot be read ({exc.strerror or exc})") from exc
        if not visible_to(summary, viewer, lecturer=lecturer):
            raise ValueError(f"no run {run_id} in {self.root}")  # same answer as missing: nothing leaks
        progress = {}
        if (run_dir / files.PROGRESS).is_file():
            try:
                progress = check_progress(read_json(run_dir / files.PROGRESS))
            except ValueError:
                progress = {}  # a broken progress file only means no progress to show
        return Run(summary=summary, config=summary.config, status=summary.status,
                   history=files.read_history(run_dir / files.HISTORY), metrics=summary.metrics, progress=progress)

    def delete(self, run_id: str, *, owner: str | None = None) -> None:
        """Delete a finished or unreadable run; ``owner`` (when given) must own it. Active runs must be stopped first.

        An unreadable folder can be deleted by the owner its config.json still names (or with ``owner=None``).
        """
        run_dir = self.path(run_id)
        if not run_dir.is_dir():
            raise ValueError(f"no run {run_id} in {self.root}")
        try:
            run = self.load(run_id, viewer=owner)
        except ValueError:
            if owner is not None and _owner_of(run_dir) != owner:
                raise ValueError(f"no run {run_id} in {self.root}") from None  # same answer as missing
        else:
            if owner is not None and run.summary.owner != owner:
                raise PermissionError(f"run {run_id} belongs to someone else")
            if run.summary.state in ACTIVE_STATES:
                raise ValueError(f"run {run_id} is {run.summary.state}; stop it before deleting it")
        trash = self.root / f".deleting-{run_id}-{secrets.token_hex(3)}"
        run_dir.rename(trash)  # disappears from the list at once, even if the removal is slow
        shutil.rmtree(trash, ignore_errors=True)

    def publish(self, run_id: str, published: bool = True, *, by: str | None = None) -> None:
        """Publish a run to the class (every student may then see it, read-only), or take it back; ``by``: who
        publishes it, as people know them (the marker's content). Who may do this is the caller's decision
        (:mod:`lib.access.policy`: lecturers)."""
        marker = self.path(run_id) / files.PUBLISHED
        if not marker.parent.is_dir():
            raise ValueError(f"no run {run_id} in {self.root}")
        if published:
            with atomic_path(marker) as tmp:
                tmp.write_text((by or "")[:_PUBLISHER_CHARS], encoding="utf-8")
        else:
            marker.unlink(missing_ok=True)

    def share(self, run_id: str, shared: bool = True, *, owner: str) -> None:
        """Share one's own run with the class's experiment (the lecturer's plot of every shared run), or take it
        back; PermissionError for another owner's run."""
        run = self.load(run_id, viewer=owner)
        if run.summary.owner != owner:
            raise PermissionError(f"run {run_id} is not yours to share")
        marker = run.path / files.SHARED
        if shared:
            with atomic_path(marker) as tmp:
                tmp.write_text("", encoding="utf-8")
        else:
            marker.unlink(missing_ok=True)

    def compare(self, run_ids: list[str], *, viewer: str | None = None, lecturer: bool = False) -> pd.DataFrame:
        """The histories of several runs in one long table with a ``run`` column (label)."""
        frames = []
        for run_id in run_ids:
            run = self.load(run_id, viewer=viewer, lecturer=lecturer)
            if not run.history.empty:
                frames.append(run.history.assign(run=run.summary.label, run_id=run_id))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
