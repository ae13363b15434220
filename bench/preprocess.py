"""Benchmark: DR preprocessing, the course's naive path against ours, on full-size photos.

    python bench/preprocess.py [--images DIR] [--n N] [--size 224] [--reload-n 4000]

Without ``--images`` it writes synthetic fundus photos of about 3000x2000 pixels first. Prints
both rates, the mean absolute difference between the two outputs, the time to reload
``--reload-n`` cached photos and the peak memory; the last line is ``speedup X.Xx``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.demo.fundus import render_fundus  # noqa: E402
from lib.preprocess.fundus import preprocess_photos  # noqa: E402
from lib.preprocess.images import from_uint8_unit, minmax  # noqa: E402


def naive_preprocess(path: Path, size: int) -> np.ndarray:
    """The course's way: PIL open, float array, Lanczos resize of the full image, min-max."""
    full = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    return minmax(cv2.resize(full, (size, size), interpolation=cv2.INTER_LANCZOS4))


def write_photos(folder: Path, n: int, *, height: int, unique: int = 24) -> list[Path]:
    """``n`` JPEGs at ``height`` (3:2); ``unique`` distinct renders, the rest copies under new names."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"{1000 + i}_{'left' if i % 2 else 'right'}.jpeg"
        if i < unique:
            rgb = render_fundus(i % 5, "left" if i % 2 else "right", rng=np.random.default_rng(i), height=height)
            cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
        else:
            shutil.copyfile(paths[i % unique], path)
        paths.append(path)
    return paths


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, help="folder of JPEG photos (default: generate ~3000x2000 ones)")
    parser.add_argument("--n", type=int, default=120, help="photos to time both ways")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--reload-n", type=int, default=4000, help="cached photos to reload")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-preprocess-"))
    try:
        if args.images:
            paths = sorted(p for p in args.images.iterdir() if p.suffix.lower() in (".jpeg", ".jpg"))[: args.n]
        else:
            print(f"writing {args.n} synthetic photos of 3000x2000 ...", flush=True)
            paths = write_photos(work / "photos", args.n, height=2000)
        with Image.open(paths[0]) as probe:
            print(f"{len(paths)} photos, first is {probe.size[0]}x{probe.size[1]}, {paths[0].stat().st_size / 1e6:.1f} MB")

        start = time.perf_counter()
        naive = np.stack([naive_preprocess(p, args.size) for p in paths])
        naive_s = time.perf_counter() - start
        print(f"naive (PIL + full-size Lanczos, 1 image at a time): {naive_s:.2f} s, {len(paths) / naive_s:.1f} photos/s")

        start = time.perf_counter()
        ours = preprocess_photos(paths, size=args.size, crop="none", cache_dir=work / "cache")
        plain_s = time.perf_counter() - start
        print(f"ours, plain resize (reduced JPEG decode + threads, cold cache): {plain_s:.2f} s, {len(paths) / plain_s:.1f} photos/s")
        mad = float(np.abs(from_uint8_unit(ours.images) - naive).mean())
        print(f"mean absolute difference from the naive output: {mad:.4f} (output {ours.images.shape[1:]})")
        start = time.perf_counter()
        preprocess_photos(paths, size=args.size, crop="fundus", cache_dir=work / "cache")
        ours_s = time.perf_counter() - start
        print(f"ours, cropped to the fundus first (the default), cold cache: {ours_s:.2f} s, {len(paths) / ours_s:.1f} photos/s")

        print(f"preparing {args.reload_n} cached photos for the reload timing ...", flush=True)
        small = write_photos(work / "small", min(args.reload_n, 48), height=512, unique=8)
        reload_paths = [work / "small" / f"r{i}.jpeg" for i in range(args.reload_n)]
        for i, p in enumerate(reload_paths):
            os.link(small[i % len(small)], p)
        preprocess_photos(reload_paths, size=args.size, cache_dir=work / "cache")
        start = time.perf_counter()
        warm = preprocess_photos(reload_paths, size=args.size, cache_dir=work / "cache")
        reload_s = time.perf_counter() - start
        assert warm.cache_hits == args.reload_n
        print(f"reload of {args.reload_n} cached photos: {reload_s:.2f} s ({warm.images.nbytes / 1e6:.0f} MB as uint8)")
        print(f"peak memory (RSS) of this process: {peak_rss_mb():.0f} MB")
        print(f"speedup of the plain resize {naive_s / plain_s:.1f}x")
        print(f"speedup {naive_s / ours_s:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
