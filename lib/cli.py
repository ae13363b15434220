"""Command-line entry point: ``python -m lib {demo,inspect,download} ...``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lib import config
from lib import config as config_paths


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


def _cmd_train(args) -> int:
    import signal

    from lib.data import read_eyepacs, read_lung2d, read_lung3d
    from lib.runs.files import read_json
    from lib.runs.store import SHARED_OWNER, RunStore, request_stop
    from lib.training.config import ConfigError, make_config

    overrides = {"epochs": args.epochs, "seed": args.seed}
    if args.weights is not None:
        if args.task != "dr":
            print("error: --weights only applies to the dr task", file=sys.stderr)
            return 2
        overrides["weights"] = args.weights
        if args.weights != "none":
            overrides["backbone"] = "mobilenetv2"
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"error: --set takes KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        overrides[key.strip()] = value.strip()
    try:
        config = make_config(args.task, preset=args.preset, data=str(Path(args.data).resolve()), **overrides)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    reader = {"dr": read_eyepacs, "lung2d": read_lung2d, "lung3d": read_lung3d}[args.task]
    report = reader(config["data"])
    if not report.ok:
        print(f"error: the {args.task} dataset at {config['data']} cannot be used: {report.fatal}", file=sys.stderr)
        print(f"check it with: python -m lib inspect {args.task} {args.data}", file=sys.stderr)
        return 2
    if report.problems:
        print(f"note: {len(report.problems)} file(s) of the dataset will be skipped (python -m lib inspect shows which)")

    store = RunStore(Path(args.runs_dir) if args.runs_dir else config_paths.runs_dir())
    run_dir = store.create(config, owner=SHARED_OWNER, label=args.label or "")
    print(f"run {run_dir.name}: {args.task}, preset {args.preset}, in {run_dir}", flush=True)
    signal.signal(signal.SIGINT, lambda *_: (print("stopping after this batch ...", flush=True), request_stop(run_dir)))
    signal.signal(signal.SIGTERM, lambda *_: request_stop(run_dir))

    from lib.training.job import run_job

    status = run_job(run_dir, echo=lambda line: print(line, flush=True))
    metrics = read_json(run_dir / "metrics.json") if (run_dir / "metrics.json").is_file() else {}
    if status.get("state") == "failed":
        print(f"error: training failed: {status.get('error')}", file=sys.stderr)
    print(json.dumps({"run_dir": str(run_dir), "run_id": run_dir.name, "state": status.get("state"),
                      "error": status.get("error"), **metrics}))
    return 0 if status.get("state") in ("done", "stopped") else 1


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
    train = sub.add_parser("train", help="train without the UI; the last line printed is a JSON summary")
    train.add_argument("task", choices=("dr", "lung2d", "lung3d"))
    train.add_argument("--data", required=True, help="dataset folder (Kaggle layout)")
    train.add_argument("--preset", choices=("quick", "course"), default="quick")
    train.add_argument("--epochs", type=int)
    train.add_argument("--seed", type=int)
    train.add_argument("--runs-dir", help=f"where runs are saved (default {config.runs_dir()})")
    train.add_argument("--weights", help="dr only: imagenet, none, or a weights file (implies the mobilenetv2 backbone)")
    train.add_argument("--label", help="a name for the run in the app's run lists")
    train.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any setting, e.g. --set learning_rate=0.01")
    train.set_defaults(func=_cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)
