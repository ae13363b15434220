"""Fetching the real datasets from Kaggle with the ``kaggle`` command-line tool."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Mapping

SOURCES = {
    "dr": ("competitions", "download", "-c", "diabetic-retinopathy-detection"),
    "lung": ("datasets", "download", "-d", "kmader/finding-lungs-in-ct-data", "--unzip"),
}

NO_CREDENTIALS = (
    "Kaggle credentials not found. Either set KAGGLE_USERNAME and KAGGLE_KEY in the environment, or put "
    "kaggle.json (from kaggle.com > Settings > API > Create New Token) in ~/.kaggle/ with mode 600. "
    "For the DR data you must also accept the competition's rules on its Kaggle page once."
)
NO_CLI = "The kaggle command is not installed: run `pip install kaggle` in this environment first."

AFTER_DR = (
    "EyePACS comes as a multi-part archive. In {out}: `unzip trainLabels.csv.zip`, then "
    "`cat train.zip.* > train.zip && unzip train.zip` (about 35 GB; a partial unzip is fine, the app uses "
    "the photos it finds). Then point the app at it: DLMI_DR_DATA={out}"
)
AFTER_LUNG = "Done. Point the app at it: DLMI_LUNG_DATA={out}"


def has_credentials(env: Mapping[str, str] = os.environ, home: Path | None = None) -> bool:
    """True when the kaggle CLI can authenticate: both variables set, or a kaggle.json it reads."""
    if env.get("KAGGLE_USERNAME") and env.get("KAGGLE_KEY"):
        return True
    home = Path(home) if home is not None else Path.home()
    config_dir = env.get("KAGGLE_CONFIG_DIR")
    candidates = [Path(config_dir) / "kaggle.json"] if config_dir else []
    candidates += [home / ".kaggle" / "kaggle.json", home / ".config" / "kaggle" / "kaggle.json"]
    return any(p.is_file() for p in candidates)


def download_command(task: str, out: str | Path) -> list[str]:
    """The kaggle CLI call that fetches ``task`` ("dr" or "lung") into ``out``."""
    if task not in SOURCES:
        raise ValueError(f"task must be one of {sorted(SOURCES)}, got {task!r}")
    return ["kaggle", *SOURCES[task], "-p", str(out)]


def download(task: str, out: str | Path, *, env: Mapping[str, str] = os.environ, home: Path | None = None,
             run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> tuple[int, str]:
    """Run the download; returns (exit code, message for a person). Never raises for a missing setup."""
    command = download_command(task, out)
    if not has_credentials(env, home):
        return 2, NO_CREDENTIALS
    if shutil.which("kaggle", path=env.get("PATH")) is None:
        return 2, NO_CLI
    Path(out).mkdir(parents=True, exist_ok=True)
    completed = run(command, check=False)
    if completed.returncode != 0:
        return completed.returncode, f"`{' '.join(command)}` failed with exit code {completed.returncode} (see its output above)"
    return 0, (AFTER_DR if task == "dr" else AFTER_LUNG).format(out=out)
