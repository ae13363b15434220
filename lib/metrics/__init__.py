"""Metrics as pure functions over numpy arrays."""

from lib.metrics.segmentation import dice, iou, per_item_scores

__all__ = ["iou", "dice", "per_item_scores"]
