"""Where things live: the data, the demo data, the preprocessing cache and the saved runs.

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

The per-dataset variables are named by each dataset (``lib.data.datasets``). Without real data the
demo datasets under ``DATA_DIR/demo/`` are used (generated when first needed).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Protocol

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class NamedDataset(Protocol):
    key: str  # its folder name under the data dir and the demo dir, e.g. "eyepacs"
    env: str  # the environment variable pointing at a real copy


@dataclass(frozen=True)
class DataLocation:
    """Where one dataset is read from and why: ``source`` is "env", "real" or "demo"."""

    dataset: str  # the dataset's key
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


def locate(dataset: NamedDataset, env: Mapping[str, str] = os.environ) -> DataLocation:
    """Find ``dataset``: its environment variable, then a real folder under the data dir, then the
    demo data (which may not have been generated yet)."""
    if env.get(dataset.env):
        return DataLocation(dataset.key, Path(env[dataset.env]), "env")
    real = data_dir(env) / dataset.key
    if real.exists():
        return DataLocation(dataset.key, real, "real")
    return DataLocation(dataset.key, demo_dir(env) / dataset.key, "demo")
