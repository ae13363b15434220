"""Benchmark: does augmentation in the input pipeline (OpenCV, per batch) starve the U-Net? And how fast is re-scoring?

    python bench/lung2d.py [--data DIR] [--epochs 3]

Trains the quick-preset U-Net on the lung slices for a few epochs with augmentation in the input
pipeline and without, and compares training images/s (goal: with >= 80 % of without). Then times
re-scoring the test predictions at a new IoU threshold (goal: under 200 ms). Last line: ``ratio X%``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lib.data.ct_slices import read_lung2d  # noqa: E402
from lib.metrics.segmentation import per_item_scores  # noqa: E402
from lib.models.unet import build_unet  # noqa: E402
from lib.preprocess.augment import AugmentRanges  # noqa: E402
from lib.preprocess.slices import load_slices  # noqa: E402
from lib import tasks  # noqa: E402
from lib.tasks.lung2d import make_dataset  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)

    def on_train_begin(self, logs=None):
        self.times = []


def images_per_s(x, y, *, ranges, epochs, batch, preset) -> float:
    keras.utils.set_random_seed(0)
    model = build_unet(spatial_dims=2, input_shape=x.shape[1:], filters=preset["filters"], depth=preset["depth"],
                       dropout=preset["dropout"])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    model.fit(make_dataset(x, y, batch, ranges=ranges, seed=0, shuffle=True), epochs=epochs + 1, callbacks=[timer],
              verbose=0, shuffle=False)
    return len(x) / statistics.median(timer.times[1:])  # the first epoch traces the graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="folder with 2d_images/ and 2d_masks/ (default: fresh demo data)")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    preset = tasks.get("lung2d").presets["quick"]
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            from lib.tasks import write_demo

            data = write_demo(Path(tmp), ["lungs"], seed=0)["lungs"]
        arrays = load_slices(read_lung2d(data).items, size=preset["image_size"])
    x, y = arrays.images, arrays.masks
    ranges = AugmentRanges(shift=preset["shift"], rotation=preset["rotation"], zoom=preset["zoom"])
    plain = images_per_s(x, y, ranges=None, epochs=args.epochs, batch=preset["batch_size"], preset=preset)
    augmented = images_per_s(x, y, ranges=ranges, epochs=args.epochs, batch=preset["batch_size"], preset=preset)
    print(f"{len(x)} slices at {x.shape[1]}x{x.shape[2]}, batch {preset['batch_size']}, {preset['filters']} filters: "
          f"{plain:.0f} images/s without augmentation, {augmented:.0f} images/s with it in the input pipeline")

    rng = np.random.default_rng(0)
    test = min(len(x), 54)
    probs = np.clip(y[:test, ..., 0] * 0.8 + rng.random(y[:test, ..., 0].shape) * 0.3, 0, 1).astype(np.float32)
    timings = []
    for threshold in np.linspace(0.1, 0.9, 30):
        start = time.perf_counter()
        per_item_scores(probs, y[:test, ..., 0], threshold=float(threshold))
        timings.append(time.perf_counter() - start)
    print(f"re-scoring {test} test slices at a new threshold: median {statistics.median(timings) * 1000:.1f} ms, "
          f"worst {max(timings) * 1000:.1f} ms")
    print(f"ratio {augmented / plain * 100:.0f}%")


if __name__ == "__main__":
    main()
