"""Synthetic demo datasets written in exactly the Kaggle layouts, so the real readers read them."""

from lib.demo.write import DEFAULT_SIZE, SMALL_SIZE, write_demo

__all__ = ["write_demo", "DEFAULT_SIZE", "SMALL_SIZE"]
