"""Fetching the real datasets from Kaggle with the ``kaggle`` command-line tool."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Mapping

from lib.contract import Dataset

NO_CREDENTIALS = (
    "Kaggle credentials not found. Either set KAGGLE_USERNAME and KAGGLE_KEY in the environment, or put "
    "kaggle.json (from kaggle.com > Settings > API > Create New Token) in ~/.kaggle/ with mode 600. "
    "For the DR data you must also accept the competition's rules on its Kaggle page once."
)
NO_CLI = "The kaggle command is not installed: run `pip install kaggle` in this environment first."


def has_credentials(env: Mapping[str, str] = os.environ, home: Path | None = None) -> bool:
    """True when the kaggle CLI can authenticate: both variables set, or a kaggle.json it reads."""
    if env.get("KAGGLE_USERNAME") and env.get("KAGGLE_KEY"):
        return True
    home = Path(home) if home is not None else Path.home()
    config_dir = env.get("KAGGLE_CONFIG_DIR")
    candidates = [Path(config_dir) / "kaggle.json"] if config_dir else []
    candidates += [home / ".kaggle" / "kaggle.json", home / ".config" / "kaggle" / "kaggle.json"]
    return any(p.is_file() for p in candidates)


def download_command(dataset: Dataset, out: str | Path) -> list[str]:
    """The kaggle CLI call that fetches ``dataset`` into ``out``."""
    return ["kaggle", *dataset.kaggle, "-p", str(out)]


def download(dataset: Dataset, out: str | Path, *, env: Mapping[str, str] = os.environ, home: Path | None = None,
             run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> tuple[int, str]:
    """Run the download; returns (exit code, message for a person). Never raises for a missing setup."""
    command = download_command(dataset, out)
    if not has_credentials(env, home):
        return 2, NO_CREDENTIALS
    if shutil.which("kaggle", path=env.get("PATH")) is None:
        return 2, NO_CLI
    Path(out).mkdir(parents=True, exist_ok=True)
    completed = run(command, check=False)
    if completed.returncode != 0:
        return completed.returncode, f"`{' '.join(command)}` failed with exit code {completed.returncode} (see its output above)"
    return 0, dataset.after_download.format(out=out)
