"""Benchmark: the 3D chunk pipeline against the model's appetite, and the memory of loading volumes.

    python bench/lung3d.py [--data DIR] [--steps 12]

1. Loads the four volumes the way training does (nibabel proxy in the on-disk dtype, strided in-plane)
   in a fresh child process and reports its peak memory. Without --data it first writes four
   full-size synthetic volumes shaped like Kaggle's (325, 465, 301, 117 slices of 512x512).
2. Produces chunk batches from the tf.data pipeline alone (chunks/s), then trains the quick-preset
   3D U-Net on them (chunks/s consumed). The pipeline must be faster than the model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

KAGGLE_SLICES = {"0002": 325, "0031": 465, "0059": 301, "0078": 117}

LOAD_SCRIPT = """
import json, resource, sys
import numpy as np
from lib.data.ct_volumes import read_lung3d, load_volume
from lib.preprocess.volumes import prepare_volume
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = read_lung3d(sys.argv[1])
shapes = {}
for pair in report.items:
    image, mask = prepare_volume(*load_volume(pair, stride=8))
    shapes[pair.volume_id] = [list(pair.shape), list(image.shape)]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"baseline_mb": before / 1024, "peak_mb": peak / 1024, "shapes": shapes}))
"""


def write_kaggle_sized(folder: Path) -> Path:
    import nibabel as nib
    import numpy as np

    from lib.demo.ct import Chest, render_volume

    target = folder / "3d_images"
    target.mkdir(parents=True)
    for i, (volume_id, n) in enumerate(KAGGLE_SLICES.items()):
        rng = np.random.default_rng(i)
        image, mask = render_volume(Chest.random(rng), n, size=512, rng=rng)
        nib.save(nib.Nifti1Image(image, np.eye(4)), str(target / f"IMG_{volume_id}.nii.gz"))
        nib.save(nib.Nifti1Image(mask, np.eye(4)), str(target / f"MASK_{volume_id}.nii.gz"))
        del image, mask
    return folder


def pipeline_vs_model(data: Path, steps: int) -> None:
    import keras

    from lib.data.ct_volumes import load_volume, read_lung3d
    from lib.models.unet import build_unet
    from lib.preprocess.volumes import prepare_volume, sparse_labels
    from lib import tasks
    from lib.tasks.lung3d import chunk_dataset

    preset = tasks.get("lung3d").presets["quick"]
    pairs = {p.volume_id: p for p in read_lung3d(data).items}
    images, labels = [], []
    for i, volume_id in enumerate(preset["train_volumes"].split(",")):
        x, y = prepare_volume(*load_volume(pairs[volume_id], stride=preset["stride"]))
        images.append(x)
        labels.append(sparse_labels(y, preset["label_fraction"], seed=i))
    depth, batch = preset["chunk_depth"], preset["batch_size"]
    dataset = chunk_dataset(images, labels, depth=depth, batch=batch, seed=0, steps=steps * 4)
    dataset[0]
    start = time.perf_counter()
    for i in range(steps * 4):
        dataset[i]
    produced = steps * 4 * batch / (time.perf_counter() - start)

    keras.utils.set_random_seed(0)
    model = build_unet(spatial_dims=3, input_shape=(None,) + images[0].shape[1:], filters=preset["filters"],
                       depth=preset["depth"], dropout=0.0)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy", weighted_metrics=["accuracy"])
    model.fit(chunk_dataset(images, labels, depth=depth, batch=batch, seed=1, steps=2), epochs=1, verbose=0)  # trace once
    start = time.perf_counter()
    model.fit(chunk_dataset(images, labels, depth=depth, batch=batch, seed=2, steps=steps), epochs=1, verbose=0)
    consumed = steps * batch / (time.perf_counter() - start)
    print(f"chunks of {depth}x{images[0].shape[1]}x{images[0].shape[2]}, batch {batch}: the pipeline alone produces "
          f"{produced:.0f} chunks/s; the model ({preset['filters']} filters) trains on {consumed:.1f} chunks/s")
    print(f"pipeline / model {produced / consumed:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="folder with 3d_images/ (default: write Kaggle-sized synthetic volumes)")
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lung3d-") as tmp:
        data = args.data
        if data is None:
            print("writing four 512x512 synthetic volumes with Kaggle's slice counts ...", flush=True)
            data = write_kaggle_sized(Path(tmp))
        child = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(data)], capture_output=True, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        if child.returncode != 0:
            raise SystemExit(child.stderr)
        memory = json.loads(child.stdout.strip().splitlines()[-1])
        for volume_id, (full, small) in memory["shapes"].items():
            print(f"IMG_{volume_id}: {tuple(full)} -> {tuple(small)}")
        print(f"loading all four: peak memory {memory['peak_mb']:.0f} MB (interpreter and imports {memory['baseline_mb']:.0f} MB)")
        pipeline_vs_model(data, args.steps)


if __name__ == "__main__":
    main()
