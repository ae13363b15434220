"""Command-line entry point: ``python -m lib {demo,inspect,download} ...``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lib import config


def _cmd_demo(args) -> int:
    from lib.demo import write_demo

    out = Path(args.out) if args.out else config.demo_dir()

    def show(fraction: float, message: str) -> None:
        print(f"[{fraction * 100:5.1f}%] {message}", flush=True)

    try:
        paths = write_demo(out, small=args.small, seed=args.seed, progress=show)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def _cmd_inspect(args) -> int:
    from lib.data import read_eyepacs, read_lung2d, read_lung3d

    path = Path(args.path)
    if args.task == "dr":
        report = read_eyepacs(path)
    elif args.task == "lung2d":
        report = read_lung2d(path)
    else:
        report = read_lung3d(path, deep=True)
    print(report.format_text())
    if args.json:
        print(json.dumps(report.to_dict()))
    return 0 if report.ok else 1


def _cmd_download(args) -> int:
    from lib.data.download import download

    out = Path(args.out) if args.out else config.data_dir() / config.TASK_FOLDERS[args.task]
    code, message = download(args.task, out)
    print(message, file=sys.stderr if code else sys.stdout)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib", description="Deep learning in medical imaging: data and training tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write the synthetic demo datasets in Kaggle's layouts")
    demo.add_argument("--out", help=f"target folder (default {config.demo_dir()})")
    demo.add_argument("--small", action="store_true", help="a few dozen tiny items, for tests")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_cmd_demo)

    inspect = sub.add_parser("inspect", help="check a dataset folder and summarise it")
    inspect.add_argument("task", choices=("dr", "lung2d", "lung3d"))
    inspect.add_argument("path", help="the folder holding the Kaggle layout")
    inspect.add_argument("--json", action="store_true", help="end with one JSON line")
    inspect.set_defaults(func=_cmd_inspect)

    download = sub.add_parser("download", help="fetch a dataset from Kaggle (needs credentials)")
    download.add_argument("task", choices=("dr", "lung"))
    download.add_argument("--out", help="target folder (default: the data dir)")
    download.set_defaults(func=_cmd_download)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)
