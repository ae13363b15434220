"""DR photo preprocessing: read colour, crop to the round fundus, resize to a square with Lanczos, min-max to [0, 1].

Fast on full-size photos for two reasons:

1. JPEG decoding at reduced scale. libjpeg can decode straight to 1/2, 1/4 or 1/8 of the size by
   scaling in the DCT domain; a 3000x2000 photo meant for 224x224 is decoded at 375x250, which is
   far cheaper than decoding every pixel and throwing most of them away. The reduced decode
   averages blocks of pixels, so the following Lanczos step downsizes by a small factor only and
   aliases less than Lanczos straight from full size.
2. Threads: OpenCV's decode and resize release the GIL, so photos are processed in parallel.

Results are cached on disk, one file per photo, keyed by the photo's path, size and modification
time and by every parameter that changes the output, so a second run (or another student asking for
an overlapping sample) reads them back instantly. Cached values are stored as uint8 (0..255 for
0..1); :func:`lib.preprocess.images.from_uint8_unit` turns them back into floats.

A whole sample is also kept as one array file (``samples/<key>.npy``, the last :data:`SAMPLES_KEPT` samples)
and handed back **memory-mapped**: the server holding it for a page, and every job training on it, share the
operating system's page cache instead of each holding its own copy, so the app server's memory does not grow
with the photos students ask for.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from lib.atomic import remove_quietly, save_npy_atomic, write_json_atomic
from lib.data.eyepacs import UnreadablePhotoError, decode_photo
from lib.data.check import Problem
from lib.preprocess.crop import crop_fundus
from lib.preprocess.images import minmax, resize_image, to_uint8_unit

CACHE_VERSION = 1
SAMPLES_KEPT = 8  # whole-sample array files kept in the cache (the least recently used go first)
CROPS = ("fundus", "none")  # crop a square around the round fundus first, or resize the whole photo (the course's)


def preprocess_photo(path: str | Path, *, size: int = 224, crop: str = "fundus") -> np.ndarray:
    """One photo, as the model sees it: (optionally) cropped to the fundus, Lanczos-resized, min-max scaled.

    ``crop="fundus"`` crops the square around the round fundus first (:mod:`lib.preprocess.crop`), so the
    disc stays round whatever the camera's aspect ratio; ``"none"`` is the course's plain resize.

    Returns
    -------
    ndarray of shape (size, size, 3), float32 in [0, 1], RGB.

    Raises
    ------
    UnreadablePhotoError
        Naming the file when it cannot be decoded.
    """
    if crop not in CROPS:
        raise ValueError(f"crop must be one of {', '.join(CROPS)}, got {crop!r}")
    rgb = decode_photo(Path(path), min_side=size)
    if crop == "fundus":
        rgb = crop_fundus(rgb)
    return minmax(resize_image(rgb.astype(np.float32), size))


def cache_key(path: str | Path, *, size: int, crop: str = "fundus") -> str:
    """Key of one photo's cached result: its path, byte size and mtime, and every output parameter."""
    path = Path(path)
    stat = path.stat()
    text = f"v{CACHE_VERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|size={size}|crop={crop}|lanczos4|minmax|uint8"
    return hashlib.sha1(text.encode()).hexdigest()


@dataclass
class PreprocessResult:
    """Preprocessed photos, in input order, with the photos that failed left out.

    images : ndarray (n_ok, size, size, 3), uint8 (0..255 for 0..1)
    kept : ndarray (n_ok,), indices into the input list of the photos in ``images``
    problems : one per photo that could not be read
    cache_hits : how many came from the cache
    cache_note : why the cache could not be used (a folder this user cannot write, a full disk), or None
    """

    images: np.ndarray
    kept: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    cache_hits: int = 0
    cache_note: str | None = None


def preprocess_photos(paths: Sequence[str | Path], *, size: int = 224, crop: str = "fundus", cache_dir: str | Path | None = None,
                      workers: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> PreprocessResult:
    """Preprocess many photos in parallel, reading and filling the on-disk cache.

    Parameters
    ----------
    paths : sequence of paths to JPEG photos
    size : int, keyword-only
        Output side in pixels (square).
    crop : "fundus" or "none", keyword-only
        See :func:`preprocess_photo`.
    cache_dir : path, optional, keyword-only
        Where cached results live (created if missing); ``None`` disables the cache.
    workers : int, optional, keyword-only
        Threads (default: CPU cores).
    progress : callable(done, total), optional, keyword-only
        Called as photos finish (from the calling thread). An exception it raises stops the work at once
        (photos not started yet are dropped) and propagates.

    Returns
    -------
    PreprocessResult
    """
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    paths = [Path(p) for p in paths]
    cache = None
    keys: list[str | Problem] = []
    notes: list[str] = []  # why the cache could not be written, once
    if cache_dir is not None:
        cache = Path(cache_dir) / f"fundus-{size}"
        try:
            cache.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not os.access(cache, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied", str(cache))
        except OSError as exc:
            notes.append(_cache_note(cache, exc))
    if cache is not None:
        for path in paths:
            try:
                keys.append(cache_key(path, size=size, crop=crop))
            except OSError as exc:
                keys.append(Problem(str(path), "unreadable", f"{path.name} cannot be read ({exc.strerror or exc})"))
        whole = _load_sample(cache, keys)
        if whole is not None:
            if progress is not None:
                progress(len(paths), len(paths))
            return whole

    def work(i: int):
        path, target = paths[i], None
        if cache is not None:
            if isinstance(keys[i], Problem):
                return None, keys[i], False
            target = cache / f"{keys[i]}.npy"
            if target.is_file():
                try:
                    return np.load(target), None, True
                except (OSError, ValueError):
                    pass  # a damaged cache file is simply recomputed
        try:
            image = to_uint8_unit(preprocess_photo(path, size=size, crop=crop))
        except (UnreadablePhotoError, OSError) as exc:
            return None, Problem(str(path), "corrupt_jpeg", str(exc)), False
        if target is not None and not notes:
            try:
                save_npy_atomic(target, image)
            except OSError as exc:  # the photo is still good: only the cache misses it
                notes.append(_cache_note(cache, exc))
        return image, None, False

    out = np.empty((len(paths), size, size, 3), np.uint8)
    ok = np.zeros(len(paths), bool)
    problems: list[Problem] = []
    hits = 0
    pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    try:
        for i, (image, problem, hit) in enumerate(pool.map(work, range(len(paths)))):
            if image is not None:
                out[i] = image
                ok[i] = True
                hits += hit
            else:
                problems.append(problem)
            if progress is not None:
                progress(i + 1, len(paths))  # may raise to stop early (a stop request): pending photos are dropped
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    kept = np.flatnonzero(ok)
    result = PreprocessResult(images=out[kept] if not ok.all() else out, kept=kept, problems=problems, cache_hits=hits,
                              cache_note=notes[0] if notes else None)
    if cache is not None and not notes:
        del out
        return _save_sample(cache, keys, result)
    return result


def _cache_note(cache: Path, exc: OSError) -> str:
    return (f"the preprocessing cache {cache} cannot be written ({exc.strerror or exc}), so the photos are "
            "preprocessed again each time; give the folder to the user the app runs as (or set DLMI_CACHE_DIR)")


def _sample_files(cache: Path, keys: list) -> tuple[Path, Path]:
    text = "|".join(k if isinstance(k, str) else f"unreadable:{k.file}" for k in keys)
    name = hashlib.sha1(text.encode()).hexdigest()
    folder = cache / "samples"
    return folder / f"{name}.npy", folder / f"{name}.json"


def _load_sample(cache: Path, keys: list) -> PreprocessResult | None:
    """The whole sample memory-mapped from the cache, or None when it is not there (or damaged)."""
    array_file, meta_file = _sample_files(cache, keys)
    try:
        meta = json.loads(meta_file.read_text())
        images = np.load(array_file, mmap_mode="r")
        kept = np.asarray(meta["kept"], dtype=np.int64)
        problems = [Problem(p["file"], p["kind"], p["message"]) for p in meta["problems"]]
        if images.shape[0] != len(kept):
            return None
        os.utime(meta_file)  # recently used: kept when older samples are pruned
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return PreprocessResult(images=images, kept=kept, problems=problems, cache_hits=len(kept))


def _save_sample(cache: Path, keys: list, result: PreprocessResult) -> PreprocessResult:
    """Write the sample as one array file (then its description), prune old samples, and return it memory-mapped.
    A cache that cannot be written (a full disk) leaves the result in memory, as it was, and no array file
    without its description (pruning goes by the descriptions, so such a file would never be removed)."""
    array_file, meta_file = _sample_files(cache, keys)
    try:
        array_file.parent.mkdir(exist_ok=True, mode=0o700)
        save_npy_atomic(array_file, result.images)
        try:
            write_json_atomic(meta_file, {"kept": result.kept.tolist(), "cache_hits": result.cache_hits,
                                          "problems": [p.to_dict() for p in result.problems]}, durable=False)
        except OSError:
            remove_quietly(array_file)
            raise
        described = sorted(array_file.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in described[SAMPLES_KEPT:]:
            remove_quietly(old.with_suffix(".npy"))
            remove_quietly(old)
        images = np.load(array_file, mmap_mode="r")
    except OSError:
        return result
    return PreprocessResult(images=images, kept=result.kept, problems=result.problems, cache_hits=result.cache_hits)
