"""Benchmark: the app server's memory as students ask for DR samples of different sizes.

    python bench/sample_memory.py [--photos 3000] [--sizes 100 200 300 400 500 600] [--image-size 224]

Writes a synthetic EyePACS of ``--photos`` photos once (not timed), then, in this one process as in the Streamlit
server, prepares one balanced sample per size in turn (``lib.tasks.dr.prepare`` with the on-disk cache), keeping
the last two results alive as the page's ``st.cache_resource(max_entries=2)`` does, and shows 12 photos of each
(the page's sanity grid). After each, prints the process's resident memory, split into anonymous memory (its own
heap: what a copy of every sample would cost) and file-backed pages (the memory-mapped cache, shared with the
jobs and given back by the kernel under pressure). ``--in-memory`` keeps plain in-memory copies instead (the
behaviour before samples were memory-mapped), for comparison.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench import cpu_line  # noqa: E402


def memory_mb() -> dict:
    """RssAnon and RssFile of this process, in MB (Linux /proc)."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:", "VmRSS:")):
            name, value = line.split(":")
            out[name] = int(value.split()[0]) / 1024
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=3000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 300, 400, 500, 600])
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--in-memory", action="store_true", help="copy each sample into memory (the old behaviour)")
    parser.add_argument("--work", help="a folder to reuse (data and cache); default a new temporary one")
    args = parser.parse_args()

    from lib.demo.write import DemoSize
    from lib.tasks import write_demo
    from lib.tasks import dr

    work = Path(args.work or tempfile.mkdtemp(prefix="dlmi-sample-memory-"))
    if not (work / "eyepacs" / "DEMO_DATA.json").is_file():
        start = time.perf_counter()
        write_demo(work, ["eyepacs"], size=DemoSize(n_photos=args.photos, photo_height=256, n_slices_2d=0,
                                                              slice_size=64, volume_slices=(1, 1, 1, 1), volume_size=8))
        print(f"wrote {args.photos} photos in {time.perf_counter() - start:.0f} s", flush=True)
    print(f"CPU: {cpu_line()}; {'in-memory copies' if args.in_memory else 'memory-mapped samples'}", flush=True)
    report = dr.TASK.read(work / "eyepacs")
    held: OrderedDict = OrderedDict()  # the page's cache_resource(max_entries=2)
    gc.collect()
    base = memory_mb()
    print(f"start: {base['VmRSS']:.0f} MB resident ({base['RssAnon']:.0f} anonymous, {base['RssFile']:.0f} file)")
    peak_anon = base["RssAnon"]
    for i, n in enumerate(args.sizes):
        config = {"data": str(work / "eyepacs"), "n_per_class": n, "seed": i, "image_size": args.image_size,
                  "crop": "fundus"}
        start = time.perf_counter()
        prepared = dr.prepare(config, check=report, cache_dir=work / "cache")
        if args.in_memory:
            prepared.images = np.array(prepared.images)
        took = time.perf_counter() - start
        _ = prepared.images[prepared.indices("train")[:12]].sum()  # the sanity grid
        held[(n, i)] = prepared
        while len(held) > 2:
            held.popitem(last=False)
        gc.collect()
        now = memory_mb()
        peak_anon = max(peak_anon, now["RssAnon"])
        print(f"sample of {2 * n:5d} photos ({prepared.images.nbytes / 2**20:6.0f} MB of pixels) in {took:5.1f} s: "
              f"{now['VmRSS']:6.0f} MB resident, {now['RssAnon']:6.0f} anonymous (+{now['RssAnon'] - base['RssAnon']:.0f}), "
              f"{now['RssFile']:5.0f} file", flush=True)
    print(f"anonymous memory grew by {peak_anon - base['RssAnon']:.0f} MB at most over {len(args.sizes)} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
