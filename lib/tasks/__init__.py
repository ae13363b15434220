"""The tasks, one module each, and the registry that lists them: the one place that turns a task's name into a task.

To add a task: write ``lib/tasks/<name>.py`` ending in ``TASK = Task(...)`` (see :mod:`lib.contract`) and add its
module to ``_MODULES`` below; that one line is the only edit outside the task's own files. Everything that lists
tasks reads this registry: the navigation and the Home page, the demo data, the datasets, the command line, the
class's default limits. A task without a page of its own (``pages/<name>.py``) gets the generic page.

Task modules can also be registered without editing this file, by naming them in ``DLMI_TASKS`` (comma-separated
module paths, each ending in ``TASK = Task(...)``); the tests register a toy task this way, and the worker
processes and the command line see it because they inherit the environment.

Examples
--------
>>> names()[:3]
['dr', 'lung2d', 'lung3d']
>>> get("lung2d").headline
'mean_slice_iou'
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from lib.contract import Dataset, DataError, Field, Task
from lib.demo.write import write_demo as _write_demo
from lib.training.config import ConfigError
from lib.training.config import make_config as _make_config

__all__ = ["Task", "Field", "DataError", "register", "get", "names", "all_tasks", "datasets", "dataset", "config_for",
           "for_config", "options", "write_demo", "default_caps"]

_MODULES = ("lib.tasks.dr", "lib.tasks.lung2d", "lib.tasks.lung3d")
EXTRA_ENV = "DLMI_TASKS"


def _load() -> dict[str, Task]:
    extra = [m.strip() for m in os.environ.get(EXTRA_ENV, "").split(",") if m.strip()]
    found: dict[str, Task] = {}
    for module in (*_MODULES, *extra):
        task = importlib.import_module(module).TASK
        if task.name in found and found[task.name] is not task:
            raise ValueError(f"two tasks are called {task.name!r} ({module} and another); task names must differ")
        found[task.name] = task
    return found


_TASKS: dict[str, Task] = _load()


def register(task: Task):
    """Add ``task`` to the registry of this process (a test process; other processes read ``DLMI_TASKS``); returns a
    function that takes it out again."""
    if task.name in _TASKS and _TASKS[task.name] is not task:
        raise ValueError(f"a task called {task.name!r} is registered already")
    _TASKS[task.name] = task
    return lambda: _TASKS.pop(task.name, None)


def get(name: str) -> Task:
    """The task called ``name``; raises KeyError naming the known ones."""
    try:
        return _TASKS[name]
    except (KeyError, TypeError):
        raise KeyError(f"unknown task {name!r}; the tasks are {', '.join(_TASKS)}") from None


def names() -> list[str]:
    return list(_TASKS)


def all_tasks() -> list[Task]:
    return list(_TASKS.values())


def datasets() -> dict[str, Dataset]:
    """The datasets of the registered tasks, by key, in the tasks' order (a shared dataset once)."""
    return {task.dataset.key: task.dataset for task in _TASKS.values()}


def dataset(name: str) -> Dataset:
    """A dataset by task name, by dataset key ("lungs") or by an unambiguous start of either ("lung").

    Raises
    ------
    KeyError
        Naming the tasks and datasets there are.
    """
    if name in _TASKS:
        return _TASKS[name].dataset
    known = datasets()
    matches = {key for key in known if key.startswith(name)} | {t.dataset.key for t in _TASKS.values() if t.name.startswith(name)}
    if len(matches) != 1:
        raise KeyError(f"{name!r} is not a dataset; choose a task ({', '.join(_TASKS)}) or a dataset ({', '.join(known)})")
    return known[matches.pop()]


def _task_of(name: Any) -> Task:
    try:
        return get(name)
    except KeyError:
        raise ConfigError(f"task must be one of {', '.join(_TASKS)}, got {name!r}") from None


def config_for(name: str, *, preset: str = "quick", data: str, **overrides: Any) -> dict[str, Any]:
    """A configuration for the task called ``name`` (ConfigError for an unknown one): the engine's
    :func:`lib.training.config.make_config`, which takes the :class:`lib.contract.Task` itself."""
    return _make_config(_task_of(name), preset=preset, data=data, **overrides)


def for_config(config: Any) -> Task:
    """The task a configuration names (ConfigError for an unknown one, or for a configuration that is not a mapping)."""
    if not isinstance(config, dict):
        raise ConfigError(f"a configuration must be a mapping of settings, got {type(config).__name__}")
    return _task_of(config.get("task"))


def options() -> list:
    """Every registered task's command-line options (:class:`lib.contract.TaskOption`), each once."""
    found = []
    for task in _TASKS.values():
        found.extend(o for o in task.options if o not in found)
    return found


def write_demo(out: str | Path, keys: list[str] | None = None, **options: Any) -> dict[str, Path]:
    """Write the demo copies of the datasets with these keys (default: every registered task's dataset) under ``out``;
    ``options`` as :func:`lib.demo.write.write_demo`."""
    known = datasets()
    unknown = [k for k in keys or () if k not in known]
    if unknown:
        raise ValueError(f"no dataset {', '.join(unknown)}; the datasets are {', '.join(known)}")
    return _write_demo(out, [known[k] for k in (keys or known)], **options)


def default_caps() -> dict[str, tuple[float | None, float | None]]:
    """The class limits when the class file sets none, from the tasks' fields (:attr:`lib.contract.Field.cap`): for a
    setting several tasks bound, the most permissive bound (the lowest low, the highest high)."""
    caps: dict[str, tuple[float | None, float | None]] = {}
    for task in _TASKS.values():
        for name, spec in task.fields.items():
            if spec.cap is None:
                continue
            low, high = spec.cap
            if name in caps:
                old_low, old_high = caps[name]
                low = None if low is None or old_low is None else min(low, old_low)
                high = None if high is None or old_high is None else max(high, old_high)
            caps[name] = (low, high)
    return caps
