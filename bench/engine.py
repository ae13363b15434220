"""Benchmark: what the training engine costs on top of a bare ``model.fit``, and how fast it reacts.

    python bench/engine.py [--epochs 6] [--n 512] [--size 64]

1. The same small U-Net on the same arrays, trained with a bare ``model.fit`` and with the engine's
   progress reporting (per-batch progress file, per-epoch history, stop checks), alternating, best of two.
2. A real job in a worker process, polled the way the UI polls its run folder: how long after an epoch
   ends the poller sees it, and how long a stop request takes to end the run.

The last line is ``overhead X%``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lib.models.unet import build_unet  # noqa: E402
from lib.jobs.folder import files  # noqa: E402
from lib.jobs.folder.protocol import read_status, request_stop  # noqa: E402
from lib.jobs.folder.store import RunStore  # noqa: E402
from lib.jobs.executor import start_run  # noqa: E402
from lib.jobs.executor import LocalProcessExecutor  # noqa: E402
from lib.training.progress import ProgressReporter  # noqa: E402

UI_POLL_S = 3.0  # ui/training.py POLL_S (the bench does not import streamlit)


def _fit(x, y, *, epochs, batch, run_dir=None) -> float:
    keras.utils.set_random_seed(0)
    model = build_unet(spatial_dims=2, input_shape=x.shape[1:], filters=8, depth=2)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    callbacks = []
    if run_dir is not None:
        callbacks.append(ProgressReporter(run_dir, epochs=epochs, steps_per_epoch=-(-len(x) // batch), batch_size=batch,
                                          should_stop=lambda: None if not (run_dir / files.STOP).exists() else "stop"))
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, callbacks=callbacks, verbose=0)
    return time.perf_counter() - start


def overhead(epochs: int, n: int, size: int, work: Path) -> float:
    rng = np.random.default_rng(0)
    x = rng.random((n, size, size, 1), dtype=np.float32)
    y = (x > 0.5).astype(np.float32)
    _fit(x[:32], y[:32], epochs=1, batch=16)  # warm up TensorFlow once
    bare, engine = [], []
    for i in range(2):
        bare.append(_fit(x, y, epochs=epochs, batch=16))
        run_dir = work / f"overhead-{i}"
        run_dir.mkdir()
        engine.append(_fit(x, y, epochs=epochs, batch=16, run_dir=run_dir))
    b, e = min(bare), min(engine)
    print(f"bare model.fit: {b:.2f} s; through the engine's reporting: {e:.2f} s "
          f"({epochs} epochs x {-(-n // 16)} batches of 16 at {size}x{size})")
    return (e - b) / b * 100


def reaction(work: Path) -> None:
    from lib.tasks import write_demo
    from lib.tasks import config_for

    data = write_demo(work / "demo", ["lungs"], small=True)["lungs"]
    store = RunStore(work / "runs")
    config = config_for("lung2d", data=str(data), image_size=64, filters=8, epochs=40, batch_size=2)
    run_dir = start_run(store, config, owner="bench", executor=LocalProcessExecutor())
    seen: dict[int, float] = {}
    lags = []
    while len(seen) < 4:
        run = store.load(run_dir.name)
        if run.summary.state in ("failed", "done"):
            raise SystemExit(f"the job ended early: {run.status}")
        for _, row in run.history.iterrows():
            epoch = int(row["epoch"])
            if epoch not in seen:
                seen[epoch] = time.time()
                lags.append(seen[epoch] - float(row["time"]))
        time.sleep(0.05)
    print(f"epoch end -> visible in the run folder: mean {np.mean(lags) * 1000:.0f} ms, max {np.max(lags) * 1000:.0f} ms; "
          f"the UI polls every {UI_POLL_S:.0f} s, so it shows an epoch at most {np.max(lags) + UI_POLL_S:.2f} s after it ends")
    asked = time.time()
    request_stop(run_dir)
    while read_status(run_dir).get("state") not in ("stopped", "done", "failed"):
        time.sleep(0.02)
    final = read_status(run_dir)
    history = files.read_history(run_dir / files.HISTORY)
    stopped_training = float(history["time"].iloc[-1]) - asked
    print(f"stop: training stopped {max(0.0, stopped_training):.2f} s after the request (mid-epoch), the run was saved, "
          f"evaluated and marked {final['state']} {time.time() - asked:.2f} s after it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        work = Path(tmp)
        reaction(work)
        print(f"overhead {overhead(args.epochs, args.n, args.size, work):.1f}%")


if __name__ == "__main__":
    main()
