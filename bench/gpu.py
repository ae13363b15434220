"""Benchmark: the course presets trained through the real task code, and the bare models, on whatever device Keras sees.

    python bench/gpu.py [--small] [--backends jax torch] [--jobs 1 2 4] [--tasks dr lung2d lung3d] [--epochs 3]
    KERAS_BACKEND=jax python bench/gpu.py --models [--small] [--precision float32 mixed] [--steps 20]

**Tasks** (the default): writes synthetic data of the Kaggle sizes (DR: 10,000 photos, enough for the course's
2,000 referable photos per class, so 2,400 train at 224 px; Lung 2D: 267 slices; Lung 3D: four volumes of
325 / 465 / 301 / 117 slices) once, then for each installed backend (or ``--backends``) and each N in ``--jobs``
starts N workers at once (``python -m lib.jobs.worker``, ``DLMI_MAX_JOBS=N``) on the course preset with
``--epochs`` epochs and ImageNet weights off (the throughput is the same, and a GPU server may be offline).
Prints per task, backend and N: the first epoch (compiling), the steady seconds per epoch, images/s per job and
in total, and the peak device memory each job reported; the last line is JSON. Use it to choose ``DLMI_MAX_JOBS``
for a GPU: the N after which the total stops growing. ``--small`` runs the same with the small demo data and tiny
models (a CPU check that the script runs).

**Models** (``--models``): for each model at the course's settings (MobileNetV2 at 224 px, batch 10 and 64; the 2D U-Net with 64 filters
at 128 px, batch 16; the 3D U-Net with 64 filters on 64x64x64 chunks, batch 8) and each precision: builds it,
traces one step, then times ``--steps`` steps of ``train_on_batch`` on random data (the project's training loop,
:mod:`lib.training.loop`) and prints items/s, seconds per step and the peak memory of the device (the process's
peak RSS on a CPU). ``--small`` shrinks every model and input (a minute on a 2-core CPU: a check that the script
runs before it is taken to a GPU). "mixed" is mixed_bfloat16 on a GPU or CPU (float16 needs loss scaling).
The first lines name the backend, its version and the device.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import numpy as np  # noqa: E402

from bench import cpu_line  # noqa: E402

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
    from lib.training.device import accelerators

    devices = accelerators(backend) or [f"CPU ({cpu_line()})"]
    version = __import__({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]).__version__
    return f"Keras {keras.__version__} on {backend} {version}; devices: {', '.join(devices)}"


def peak_memory_mb() -> tuple[float, str]:
    """The device's peak memory in MB since the last reset, and where it was measured (the process's peak RSS on a CPU)."""
    from lib.training.device import device_memory

    memory = device_memory()
    if memory is not None:
        return memory.peak_mb, f"{memory.device} peak"
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
    from lib.training.device import reset_peak

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


# The course presets of the task mode: synthetic data of the Kaggle sizes, and the settings changed for a bench.
KAGGLE_SIZE = dict(n_photos=10000, photo_height=256, n_slices_2d=267, slice_size=512,
                   volume_slices=(325, 465, 301, 117), volume_size=512)
BENCH_SETTINGS = {"dr": dict(weights="none"), "lung2d": {}, "lung3d": {}}
SMALL_SETTINGS = {  # tiny models on the small demo: a check that the script runs
    "dr": dict(backbone="small_cnn", weights="none", image_size=64, n_per_class=12, batch_size=4),
    "lung2d": dict(image_size=64, filters=4, batch_size=4),
    "lung3d": dict(stride=2, filters=4, chunk_depth=8, steps_per_epoch=4, validation_steps=1, batch_size=2),
}
DATASET = {"dr": "eyepacs", "lung2d": "lungs", "lung3d": "lungs"}


def installed_backends() -> list[str]:
    import importlib.util

    return [name for name in ("tensorflow", "jax", "torch") if importlib.util.find_spec(name) is not None]


def write_data(root: Path, small: bool) -> Path:
    """The synthetic datasets (written once per folder; reused when the folder already holds them)."""
    from lib.demo.write import DemoSize
    from lib.tasks import write_demo

    if not all((root / key / "DEMO_DATA.json").is_file() for key in ("eyepacs", "lungs")):
        start = time.perf_counter()
        write_demo(root, small=small, size=None if small else DemoSize(**KAGGLE_SIZE))
        print(f"wrote the synthetic data in {time.perf_counter() - start:.0f} s to {root}", flush=True)
    return root


def run_jobs(task: str, backend: str, n: int, *, data: Path, work: Path, epochs: int, small: bool,
             timeout_s: float) -> list[dict]:
    """Start ``n`` workers at once on the course preset and wait for them; one summary per job."""
    import subprocess

    import pandas as pd

    from lib.jobs.folder import files
    from lib.jobs.folder.store import RunStore
    from lib.tasks import config_for

    store = RunStore(work / "runs" / f"{task}-{backend}-{n}")
    settings = {**(SMALL_SETTINGS if small else BENCH_SETTINGS)[task], "epochs": epochs}
    config = config_for(task, preset="quick" if small else "course", data=str(data / DATASET[task]), **settings)
    if small:
        config.update(time_budget_s=0.0, steps_per_epoch=0 if task != "lung3d" else config["steps_per_epoch"])
    run_dirs = [store.create(config, owner="bench", label=f"bench {task} {backend} {i + 1}/{n}") for i in range(n)]
    env = {**os.environ, "KERAS_BACKEND": backend, "DLMI_MAX_JOBS": str(n), "DLMI_CACHE_DIR": str(work / "cache"),
           "TF_CPP_MIN_LOG_LEVEL": "2", "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    root = Path(__file__).resolve().parents[1]
    logs = [open(d / "bench-stderr.txt", "w") for d in run_dirs]
    children = [subprocess.Popen([sys.executable, "-m", "lib.jobs.worker", str(d)], cwd=root, env=env,
                                 stdout=subprocess.DEVNULL, stderr=log) for d, log in zip(run_dirs, logs)]
    deadline = time.monotonic() + timeout_s
    for child in children:
        try:
            child.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    for log in logs:
        log.close()
    out = []
    for run_dir in run_dirs:
        status = json.loads((run_dir / files.STATUS).read_text())
        history = pd.read_csv(run_dir / files.HISTORY) if (run_dir / files.HISTORY).is_file() else pd.DataFrame()
        seconds = history["seconds"].tolist() if "seconds" in history else []
        rates = history["images_per_s"].dropna().tolist() if "images_per_s" in history else []
        out.append({"state": status.get("state"), "error": status.get("error"),
                    "first_epoch_s": seconds[0] if seconds else None,
                    "steady_epoch_s": float(np.median(seconds[1:])) if len(seconds) > 1 else None,
                    "images_per_s": rates[-1] if rates else None,
                    "peak_device_mb": status.get("device_memory_peak_mb")})
    return out


def _figure(value, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def tasks_mode(args) -> int:
    import tempfile

    work = Path(args.work or tempfile.mkdtemp(prefix="dlmi-gpu-bench-"))
    data = write_data(Path(args.data) if args.data else work / "data", args.small)
    backends = args.backends or installed_backends()
    print(f"backends: {', '.join(backends)}; CPU: {cpu_line()}", flush=True)
    results = []
    for backend in backends:
        print(device_line_of(backend), flush=True)
        for task in args.tasks:
            for n in args.jobs:
                jobs = run_jobs(task, backend, n, data=data, work=work, epochs=args.epochs, small=args.small,
                                timeout_s=args.timeout)
                done = [j for j in jobs if j["state"] == "done"]
                rates = [j["images_per_s"] for j in done if j["images_per_s"]]
                row = {"task": task, "backend": backend, "jobs": n, "done": len(done),
                       "first_epoch_s": max((j["first_epoch_s"] or 0 for j in done), default=None),
                       "steady_epoch_s": float(np.median([j["steady_epoch_s"] for j in done if j["steady_epoch_s"]]))
                       if any(j["steady_epoch_s"] for j in done) else None,
                       "images_per_s_per_job": float(np.median(rates)) if rates else None,
                       "images_per_s_total": float(sum(rates)) if rates else None,
                       "peak_device_mb": max((j["peak_device_mb"] for j in done if j["peak_device_mb"]), default=None),
                       "errors": sorted({j["error"] for j in jobs if j["error"]})}
                results.append(row)
                print(f"{task:7s} {backend:10s} {n} job(s): {row['done']}/{n} done; first epoch "
                      f"{_figure(row['first_epoch_s'], '.1f')} s, steady {_figure(row['steady_epoch_s'], '.2f')} s/epoch, "
                      f"{_figure(row['images_per_s_per_job'], ',.0f')} images/s per job, "
                      f"{_figure(row['images_per_s_total'], ',.0f')} in total, peak device memory "
                      f"{_figure(row['peak_device_mb'], ',.0f')} MB" + (f"; errors: {row['errors']}" if row["errors"] else ""),
                      flush=True)
    print(json.dumps({"cpu": cpu_line(), "small": args.small, "epochs": args.epochs, "results": results}))
    return 0 if all(r["done"] == r["jobs"] for r in results) else 1


def device_line_of(backend: str) -> str:
    """The device line as the backend's own process sees it (each backend runs in its own worker processes)."""
    import subprocess

    code = "import sys; sys.path.insert(0, sys.argv[1]); from bench.gpu import device_line; print(device_line())"
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).resolve().parents[1])],
                          env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else \
        f"{backend}: cannot start ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'no output'})"


def models_mode(args) -> int:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="tiny models and inputs: a check on a CPU")
    parser.add_argument("--models", action="store_true", help="time the bare models on random data instead of the tasks")
    parser.add_argument("--precision", nargs="+", default=["float32", "mixed"], choices=["float32", "mixed"],
                        help="--models: the precisions to time")
    parser.add_argument("--steps", type=int, default=20, help="--models: steps timed per model")
    parser.add_argument("--tasks", nargs="+", default=["dr", "lung2d", "lung3d"], choices=["dr", "lung2d", "lung3d"])
    parser.add_argument("--backends", nargs="+", choices=["tensorflow", "jax", "torch"],
                        help="default: every installed one")
    parser.add_argument("--jobs", nargs="+", type=int, default=[1, 2, 4], help="jobs at once (DLMI_MAX_JOBS)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per job (the first one compiles)")
    parser.add_argument("--data", help="a folder with eyepacs/ and lungs/ to reuse (default: written into --work)")
    parser.add_argument("--work", help="where the runs and cache go (default: a new temporary folder)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for one set of jobs")
    args = parser.parse_args()
    return models_mode(args) if args.models else tasks_mode(args)


if __name__ == "__main__":
    sys.exit(main())
