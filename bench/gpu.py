"""Benchmark: training throughput and peak memory of the course's three models, on whatever device Keras sees.

    KERAS_BACKEND=jax python bench/gpu.py [--small] [--precision float32 mixed] [--steps 20]

For each model at the course's settings (MobileNetV2 at 224 px, batch 10 and 64; the 2D U-Net with 64 filters
at 128 px, batch 16; the 3D U-Net with 64 filters on 64x64x64 chunks, batch 8) and each precision: builds it,
traces one step, then times ``--steps`` steps of ``train_on_batch`` on random data (the project's training loop,
:mod:`lib.training.loop`) and prints items/s, seconds per step and the peak memory of the device (the process's
peak RSS on a CPU). ``--small`` shrinks every model and input (a minute on a 2-core CPU: a check that the script
runs before it is taken to a GPU). "mixed" is mixed_bfloat16 on a GPU or CPU (float16 needs loss scaling).
The first lines name the backend, its version and the device.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import numpy as np  # noqa: E402

# (name, builder arguments, input shape without the batch, batches); --small replaces them
COURSE = [
    ("MobileNetV2 224 px", dict(kind="dr", image_size=224), (224, 224, 3), (10, 64)),
    ("2D U-Net 64 filters 128 px", dict(kind="unet", spatial_dims=2, filters=64), (128, 128, 1), (16,)),
    ("3D U-Net 64 filters 64^3", dict(kind="unet", spatial_dims=3, filters=64), (64, 64, 64, 1), (8,)),
]
SMALL = [
    ("MobileNetV2 96 px", dict(kind="dr", image_size=96), (96, 96, 3), (4,)),
    ("2D U-Net 8 filters 64 px", dict(kind="unet", spatial_dims=2, filters=8), (64, 64, 1), (8,)),
    ("3D U-Net 4 filters 16x32x32", dict(kind="unet", spatial_dims=3, filters=4), (16, 32, 32, 1), (2,)),
]


def device_line() -> str:
    import keras

    backend = keras.backend.backend()
    from lib.training.job import _accelerators

    from bench import cpu_line

    devices = _accelerators(backend) or [f"CPU ({cpu_line()})"]
    version = __import__({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]).__version__
    return f"Keras {keras.__version__} on {backend} {version}; devices: {', '.join(devices)}"


def reset_peak() -> None:
    import keras

    if keras.backend.backend() == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.reset_memory_stats(gpu.name.replace("physical_device:", ""))


def peak_memory_mb() -> tuple[float, str]:
    """The device's peak memory in MB since the last reset, and where it was measured."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                stats = device.memory_stats() or {}
                return stats.get("peak_bytes_in_use", 0) / 2**20, f"{device.platform} peak"
        if backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20, "GPU peak"
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.max_memory_allocated() / 2**20, "GPU peak"
    except Exception:  # noqa: BLE001 - a figure we cannot read is reported as such
        return float("nan"), "unreadable"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "process peak RSS"


def build(spec: dict, shape: tuple):
    import keras

    from lib.models.classifier import build_dr_classifier
    from lib.models.unet import build_unet

    if spec["kind"] == "dr":
        model, _ = build_dr_classifier(backbone="mobilenetv2", image_size=spec["image_size"], weights="none",
                                       freeze_backbone=False)
        loss = "binary_crossentropy"
    else:
        model = build_unet(spatial_dims=spec["spatial_dims"], input_shape=shape, filters=spec["filters"], depth=2,
                           dropout=0.5 if spec["spatial_dims"] == 2 else 0.0)
        loss = "binary_crossentropy"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4), loss=loss, metrics=["accuracy"])
    return model


def measure(name: str, spec: dict, shape: tuple, batch: int, precision: str, steps: int) -> str:
    import keras

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "mixed" else "float32")
    keras.utils.clear_session()
    rng = np.random.default_rng(0)
    x = rng.random((batch, *shape), dtype=np.float32)
    y = (rng.random((batch,)) > 0.5).astype(np.float32) if spec["kind"] == "dr" else (x > 0.5).astype(np.float32)
    model = build(spec, shape)
    reset_peak()
    start = time.perf_counter()
    model.train_on_batch(x, y)  # traces / compiles the step
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(steps):
        logs = model.train_on_batch(x, y, return_dict=True)
    float(logs["loss"])  # wait for the device
    took = (time.perf_counter() - start) / steps
    memory, where = peak_memory_mb()
    return (f"{name:30s} batch {batch:3d} {precision:8s}: {batch / took:8.1f} items/s, {took * 1000:8.1f} ms/step, "
            f"first step {first:5.1f} s, {where} {memory:,.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="tiny models and inputs: a check on a CPU")
    parser.add_argument("--precision", nargs="+", default=["float32", "mixed"], choices=["float32", "mixed"])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    print(device_line(), flush=True)
    for name, spec, shape, batches in SMALL if args.small else COURSE:
        for batch in batches:
            for precision in args.precision:
                try:
                    print(measure(name, spec, shape, batch, precision, args.steps), flush=True)
                except Exception as exc:  # noqa: BLE001 - out of memory on one model must not hide the others
                    print(f"{name:30s} batch {batch:3d} {precision:8s}: failed ({type(exc).__name__}: {str(exc)[:200]})",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
