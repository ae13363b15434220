"""Metrics as pure functions over numpy arrays, and what each saved metric is called for people."""

from lib.metrics.segmentation import dice, iou, per_item_scores

__all__ = ["iou", "dice", "per_item_scores", "METRIC_NAMES", "metric_name"]

# How a metric saved in metrics.json is named on the pages and in run lists (the README uses the same words).
METRIC_NAMES = {
    "auc": "AUC",
    "accuracy": "accuracy",
    "loss": "loss",
    "mean_slice_iou": "mean slice IoU",
    "mean_slice_dice": "mean slice Dice",
    "pooled_iou": "pooled IoU",
    "pooled_dice": "pooled Dice",
    "mean_iou": "IoU",
}


def metric_name(key: str) -> str:
    """``pooled_iou`` -> ``pooled IoU``; an unknown key as it is, underscores as spaces."""
    return METRIC_NAMES.get(key, key.replace("_", " "))
