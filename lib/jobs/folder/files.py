"""Why every reader agrees on a run folder: the names of its files and how to read them (writes: :mod:`lib.atomic`)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from lib.atomic import write_bytes_atomic, write_json_atomic, write_npz_atomic  # noqa: F401  (the run folder's writers)

CONFIG, STATUS, PROGRESS, HISTORY, STOP = "config.json", "status.json", "progress.json", "history.csv", "STOP"
MODEL, PREDICTIONS, METRICS, LOG, HEARTBEAT = "model.keras", "predictions.npz", "metrics.json", "log.txt", "ui_seen"
SPLIT = "split.json"  # the ids of the items in each split (train / val / test) the job used
PUBLISHED = "PUBLISHED"  # present: a lecturer published the run to the class (read-only for students)
SHARED = "SHARED"  # present: its owner shared the run with the class's experiment (the lecturer's view, no names shown)
CHECKPOINT = "checkpoint.keras"  # the best model so far, rewritten at the end of each epoch that improved

if TYPE_CHECKING:
    import pandas as pd


MAX_JSON_BYTES = 1_000_000  # a run folder's JSON files are a few kilobytes; anything larger was not written by a job
MAX_HISTORY_BYTES = 20_000_000  # one row per epoch: 20 MB is about 100,000 epochs


def read_json(path: str | Path, *, limit: int = MAX_JSON_BYTES) -> dict:
    """Read a JSON object; raises ValueError naming the file when it is missing, too large, damaged, nested too deep
    or not an object (a run folder is written by a job, but anyone with access can break it)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise ValueError(f"{path.name} is {size:,} bytes, more than the {limit:,} a run's file may hold")
        value = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ValueError(f"{path.name} is missing") from exc
    except RecursionError:
        raise ValueError(f"{path.name} is nested too deeply to be a run's file") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name} is damaged ({exc})") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{path.name} does not hold a JSON object")
    return value


def write_history_atomic(path: str | Path, rows: list[dict], *, durable: bool = True) -> None:
    import pandas as pd  # start-up cost: a waiting worker reads this module's JSON and must stay a few MB

    write_bytes_atomic(path, pd.DataFrame(rows).to_csv(index=False).encode(), durable=durable)


def read_history(path: str | Path) -> pd.DataFrame:
    """One row per finished epoch, with an ``epoch`` column (numbered 1.. when the file lacks one); empty when
    there is none yet or the file cannot be parsed."""
    import pandas as pd  # start-up cost: a waiting worker reads this module's JSON and must stay a few MB

    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size == 0 or path.stat().st_size > MAX_HISTORY_BYTES:
            return pd.DataFrame()
        history = pd.read_csv(path)
    except (OSError, ValueError, RecursionError, pd.errors.ParserError):
        return pd.DataFrame()
    if "epoch" not in history.columns or not pd.api.types.is_numeric_dtype(history["epoch"]):
        history = history.assign(epoch=range(1, len(history) + 1))
    return history


def host() -> str:
    return socket.gethostname()
