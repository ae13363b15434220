"""Atomic file writes and the small files of the run-folder protocol."""

from __future__ import annotations

import io
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CONFIG, STATUS, PROGRESS, HISTORY, STOP = "config.json", "status.json", "progress.json", "history.csv", "STOP"
MODEL, PREDICTIONS, METRICS, LOG, UI_SEEN = "model.keras", "predictions.npz", "metrics.json", "log.txt", "ui_seen"


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")


def write_bytes_atomic(path: str | Path, data: bytes, *, durable: bool = True) -> None:
    """Write to a temporary name, then rename: readers see the old file or the new one, never half.

    ``durable`` also flushes to disk before the rename (survives a power cut); progress files,
    rewritten every half second, skip that: it costs milliseconds that training would pay.
    """
    path = Path(path)
    tmp = _tmp_name(path)
    with open(tmp, "wb") as f:
        f.write(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: str | Path, obj: Any, *, durable: bool = True) -> None:
    write_bytes_atomic(path, json.dumps(obj, indent=1, default=_json_default).encode(), durable=durable)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def read_json(path: str | Path) -> dict:
    """Read a JSON object; raises ValueError naming the file when it is missing, damaged or not an object."""
    path = Path(path)
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ValueError(f"{path.name} is missing") from exc
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name} is damaged ({exc})") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{path.name} does not hold a JSON object")
    return value


def write_npz_atomic(path: str | Path, **arrays: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_bytes_atomic(path, buffer.getvalue())


def write_history_atomic(path: str | Path, rows: list[dict], *, durable: bool = True) -> None:
    write_bytes_atomic(path, pd.DataFrame(rows).to_csv(index=False).encode(), durable=durable)


def read_history(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    return pd.read_csv(path)


def host() -> str:
    return socket.gethostname()
