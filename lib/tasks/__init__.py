"""The tasks, one module each, and the registry that lists them.

To add a task: write ``lib/tasks/<name>.py`` ending in ``TASK = Task(...)`` (see :mod:`lib.tasks.base`),
add it to ``_MODULES`` below, and give it a ``ui`` module and a page. Nothing else branches on a
task's name: the command line, run descriptions, the Home page and the engine look tasks up here.

Examples
--------
>>> names()
['dr', 'lung2d', 'lung3d']
>>> get("lung2d").headline
'mean_slice_iou'
"""

from __future__ import annotations

from lib.tasks import dr, lung2d, lung3d
from lib.tasks.base import DataError, Field, Task

__all__ = ["Task", "Field", "DataError", "get", "names", "all_tasks"]

_MODULES = (dr, lung2d, lung3d)
_TASKS: dict[str, Task] = {module.TASK.name: module.TASK for module in _MODULES}


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
