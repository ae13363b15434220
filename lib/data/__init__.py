"""Readers for the three Kaggle dataset layouts, with per-file validation."""

from lib.data.report import DatasetReport, Problem
from lib.data.eyepacs import read_eyepacs
from lib.data.lung2d import read_lung2d, load_lung2d_pair
from lib.data.lung3d import read_lung3d, load_volume

__all__ = [
    "DatasetReport",
    "Problem",
    "read_eyepacs",
    "read_lung2d",
    "load_lung2d_pair",
    "read_lung3d",
    "load_volume",
]
