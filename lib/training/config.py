"""Training configurations: a plain dict per run (saved as config.json), built from a task's preset.

The settings, ranges and presets of each task are declared by the task (:class:`lib.contract.Task`), which the
caller hands in; :func:`make_config` builds a configuration from a preset plus overrides and :func:`validate_config`
checks every field, raising :class:`ConfigError` that names the field and the value it got. (``lib.tasks`` offers
both by task name, for callers that have only the name.)
"""

from __future__ import annotations

import math
from typing import Any

from lib.contract import Field, Task

# Keys a saved configuration may carry besides the task's settings.
BOOKKEEPING = ("task", "preset", "run_id", "owner", "label", "versions", "watch", "experiment")


class ConfigError(ValueError):
    """A configuration field with a wrong type or value; the message names both."""


def _coerce(task: str, name: str, value: Any, spec: Field) -> Any:
    where = f"{task}.{name}"
    if spec.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if spec.kind in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ConfigError(f"{where} must be a finite number, got {value!r}")
        if spec.kind is int:
            if number != int(number):
                raise ConfigError(f"{where} must be a whole number, got {value!r}")
            number = int(number)
        if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
            raise ConfigError(f"{where} must be between {spec.low:g} and {spec.high:g}, got {value!r}")
        return number
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty text, got {value!r}")
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"{where} must be one of {', '.join(spec.choices)}, got {value!r}")
    return value.strip()


def validate_config(config: dict[str, Any], task: Task) -> dict[str, Any]:
    """Check and normalise a configuration of ``task``; returns a new dict (the input is not changed).

    Raises
    ------
    ConfigError
        A configuration of another task, a missing or unknown field, or a value of the wrong type or out of range.
    """
    if not isinstance(config, dict):
        raise ConfigError(f"a configuration must be a mapping of settings, got {type(config).__name__}")
    if config.get("task") != task.name:
        raise ConfigError(f"this configuration is for the task {config.get('task')!r}, not {task.name!r}")
    fields = task.fields
    extra = sorted(set(config) - set(fields) - set(BOOKKEEPING))
    if extra:
        raise ConfigError(f"{task.name} has no setting(s) {', '.join(extra)}")
    config = {**{name: spec.default for name, spec in fields.items() if name not in config and spec.default is not None},
              **config}
    missing = sorted(set(fields) - set(config))
    if missing:
        raise ConfigError(f"{task.name} needs the setting(s) {', '.join(missing)}")
    out = dict(config)
    for name, spec in fields.items():
        out[name] = _coerce(task.name, name, config[name], spec)
    if task.check is not None:
        try:
            task.check(out)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return out


def make_config(task: Task, *, preset: str = "quick", data: str, **overrides: Any) -> dict[str, Any]:
    """A validated configuration of ``task``: the preset's values, then ``overrides`` (None values are ignored).

    ``task``, ``preset`` and ``data`` cannot be overridden through ``overrides``.
    """
    spec = task
    if preset not in spec.presets:
        raise ConfigError(f"preset must be one of {', '.join(spec.presets)}, got {preset!r}")
    fixed = sorted({"task", "preset"} & set(overrides))
    if fixed:
        raise ConfigError(f"{', '.join(fixed)} cannot be set as a setting; choose the task and preset themselves")
    config = {"task": spec.name, "preset": preset, "data": str(data), **spec.presets[preset]}
    config.update({k: v for k, v in overrides.items() if v is not None})
    return validate_config(config, spec)
