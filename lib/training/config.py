"""Training configurations: the fields of each task, their valid ranges, and the presets.

A configuration is a plain dict (it is saved as config.json). :func:`make_config` builds one from a
preset plus overrides and :func:`validate_config` checks every field, raising :class:`ConfigError`
that names the field and the value it got.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

TASKS = ("dr", "lung2d", "lung3d")


class ConfigError(ValueError):
    """A configuration field with a wrong type or value; the message names both."""


@dataclass(frozen=True)
class Field:
    kind: type  # int, float, bool, str
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    help: str = ""


COMMON = {
    "data": Field(str, help="dataset folder in Kaggle's layout"),
    "seed": Field(int, 0, 2**31 - 1),
    "epochs": Field(int, 1, 1000),
    "batch_size": Field(int, 1, 1024),
    "learning_rate": Field(float, 1e-7, 1.0),
}

FIELDS: dict[str, dict[str, Field]] = {
    "dr": {
        **COMMON,
        "backbone": Field(str, choices=("mobilenetv2", "small_cnn")),
        "weights": Field(str, help='"imagenet", "none" or a path to a weights file'),
        "freeze_backbone": Field(bool),
        "image_size": Field(int, 32, 512),
        "n_per_class": Field(int, 1, 100000),
    },
    "lung2d": {
        **COMMON,
        "image_size": Field(int, 16, 512),
        "filters": Field(int, 1, 256),
        "depth": Field(int, 1, 5),
        "dropout": Field(float, 0.0, 0.95),
        "decay_start": Field(int, 0, 1000),
        "decay_factor": Field(float, 0.01, 1.0),
        "shift": Field(float, 0.0, 0.5),
        "rotation": Field(float, 0.0, 180.0),
        "zoom": Field(float, 0.0, 0.9),
    },
    "lung3d": {
        **COMMON,
        "stride": Field(int, 1, 32),
        "label_fraction": Field(float, 0.001, 1.0),
        "filters": Field(int, 1, 256),
        "depth": Field(int, 1, 4),
        "chunk_depth": Field(int, 4, 512),
        "steps_per_epoch": Field(int, 1, 10000),
        "validation_steps": Field(int, 1, 10000),
        "train_volumes": Field(str, help="comma-separated volume ids, e.g. 0002,0031"),
        "val_volume": Field(str),
        "test_volume": Field(str),
    },
}

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "dr": {
        "course": dict(backbone="mobilenetv2", weights="imagenet", freeze_backbone=False, image_size=224,
                       n_per_class=2000, epochs=30, batch_size=10, learning_rate=1e-4, seed=0),
        "quick": dict(backbone="small_cnn", weights="none", freeze_backbone=False, image_size=128,
                      n_per_class=200, epochs=20, batch_size=16, learning_rate=1e-3, seed=0),
    },
    "lung2d": {
        "course": dict(image_size=128, filters=64, depth=2, dropout=0.5, epochs=40, batch_size=16,
                       learning_rate=1e-3, decay_start=20, decay_factor=round(math.exp(-0.1), 4),
                       shift=0.1, rotation=10.0, zoom=0.1, seed=0),
        "quick": dict(image_size=128, filters=16, depth=2, dropout=0.5, epochs=30, batch_size=16,
                      learning_rate=1e-3, decay_start=20, decay_factor=round(math.exp(-0.1), 4),
                      shift=0.1, rotation=10.0, zoom=0.1, seed=0),
    },
    "lung3d": {
        "course": dict(stride=8, label_fraction=0.3, filters=64, depth=2, chunk_depth=64, epochs=20,
                       steps_per_epoch=20, validation_steps=20, batch_size=8, learning_rate=1e-3,
                       train_volumes="0002,0031", val_volume="0059", test_volume="0078", seed=0),
        "quick": dict(stride=8, label_fraction=0.3, filters=8, depth=2, chunk_depth=32, epochs=25,
                      steps_per_epoch=16, validation_steps=4, batch_size=4, learning_rate=3e-3,
                      train_volumes="0002,0031", val_volume="0059", test_volume="0078", seed=0),
    },
}


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


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise a configuration; returns a new dict (the input is not changed).

    Raises
    ------
    ConfigError
        Unknown task, a missing or unknown field, or a value of the wrong type or out of range.
    """
    task = config.get("task")
    if task not in FIELDS:
        raise ConfigError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    fields = FIELDS[task]
    extra = sorted(set(config) - set(fields) - {"task", "preset", "run_id", "owner", "label", "versions", "watch", "experiment"})
    if extra:
        raise ConfigError(f"{task} has no setting(s) {', '.join(extra)}")
    missing = sorted(set(fields) - set(config))
    if missing:
        raise ConfigError(f"{task} needs the setting(s) {', '.join(missing)}")
    out = dict(config)
    for name, spec in fields.items():
        out[name] = _coerce(task, name, config[name], spec)
    if task == "lung3d":
        ids = [v.strip() for v in out["train_volumes"].split(",") if v.strip()]
        roles = ids + [out["val_volume"], out["test_volume"]]
        if len(set(roles)) != len(roles):
            raise ConfigError(f"lung3d volumes must differ between train, validation and test, got {roles}")
    return out


def make_config(task: str, *, preset: str = "quick", data: str, **overrides: Any) -> dict[str, Any]:
    """A validated configuration: the preset's values, then ``overrides`` (None values are ignored)."""
    if task not in PRESETS:
        raise ConfigError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if preset not in PRESETS[task]:
        raise ConfigError(f"preset must be one of {', '.join(PRESETS[task])}, got {preset!r}")
    config = {"task": task, "preset": preset, "data": str(data), **PRESETS[task][preset]}
    config.update({k: v for k, v in overrides.items() if v is not None})
    return validate_config(config)
