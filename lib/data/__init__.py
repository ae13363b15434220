"""Readers for the three Kaggle dataset layouts, with per-file validation."""

from lib.data.report import DatasetReport, Problem
from lib.data.eyepacs import read_eyepacs
from lib.data.ct_slices import read_lung2d, load_lung2d_pair
from lib.data.ct_volumes import read_lung3d, load_volume

__all__ = [
    "DatasetReport",
    "Problem",
    "read_eyepacs",
    "read_lung2d",
    "load_lung2d_pair",
    "read_lung3d",
    "load_volume",
]
