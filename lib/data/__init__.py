"""Readers for the three Kaggle dataset layouts, with per-file validation."""

from lib.data.check import DatasetCheck, Problem
from lib.data.eyepacs import read_eyepacs
from lib.data.ct_slices import read_lung2d, load_lung2d_pair
from lib.data.ct_volumes import read_lung3d, load_volume

__all__ = [
    "DatasetCheck",
    "Problem",
    "read_eyepacs",
    "read_lung2d",
    "load_lung2d_pair",
    "read_lung3d",
    "load_volume",
]
