"""Where the data, the preprocessing cache and the saved runs live.

Environment variables override the defaults:

=================  =============================================  ==================================
variable           meaning                                        default
=================  =============================================  ==================================
DLMI_DATA_DIR      folder for data, demo data and the cache       ``<project>/data``
DLMI_DR_DATA       an EyePACS folder (trainLabels.csv + train/)   ``DATA_DIR/eyepacs`` if present
DLMI_LUNG_DATA     the lung CT folder (2d_images/, 3d_images/)    ``DATA_DIR/lungs`` if present
DLMI_CACHE_DIR     preprocessing cache                            ``DATA_DIR/cache``
DLMI_RUNS_DIR      saved training runs                            ``<project>/runs``
=================  =============================================  ==================================

Without real data the demo datasets under ``DATA_DIR/demo/`` are used (generated on first use).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TASK_FOLDERS = {"dr": "eyepacs", "lung": "lungs"}
TASK_ENV = {"dr": "DLMI_DR_DATA", "lung": "DLMI_LUNG_DATA"}


@dataclass(frozen=True)
class DataLocation:
    """Where one dataset is read from and why: ``source`` is "env", "real" or "demo"."""

    kind: str  # "dr" or "lung"
    path: Path
    source: str

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("DLMI_DATA_DIR") or PROJECT_ROOT / "data")


def demo_dir(env: Mapping[str, str] = os.environ) -> Path:
    return data_dir(env) / "demo"


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("DLMI_CACHE_DIR") or data_dir(env) / "cache")


def runs_dir(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("DLMI_RUNS_DIR") or PROJECT_ROOT / "runs")


def locate(kind: str, env: Mapping[str, str] = os.environ) -> DataLocation:
    """Find the dataset of ``kind`` ("dr" or "lung"): the environment variable, then a real folder
    under the data dir, then the demo data (which may not have been generated yet)."""
    if kind not in TASK_FOLDERS:
        raise ValueError(f"kind must be one of {sorted(TASK_FOLDERS)}, got {kind!r}")
    if env.get(TASK_ENV[kind]):
        return DataLocation(kind, Path(env[TASK_ENV[kind]]), "env")
    real = data_dir(env) / TASK_FOLDERS[kind]
    if real.exists():
        return DataLocation(kind, real, "real")
    return DataLocation(kind, demo_dir(env) / TASK_FOLDERS[kind], "demo")
