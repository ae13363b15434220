"""Command-line entry point: ``python -m lib {demo,inspect,download,train,class,gradcam,report,screen,score} ...``.

An entry point above the registry: it turns the task names people type into tasks (``lib.tasks``) and hands them to
the engine; a task's own options (DR's ``--weights``) are declared by the task (:class:`lib.contract.TaskOption`).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import signal
import sys
from dataclasses import replace
from pathlib import Path

from lib import paths, tasks
from lib.access.guard import ACCOUNT, ADDRESS, SignInGuard
from lib.access.identity import PROXY_SECRET_HEADER, check_name, find_user, hash_password, secret_hash
from lib.access.policy import ClassFileError, class_file, load_class, update_class
from lib.access.roster import (MAX_ROSTER_BYTES, import_roster, prepare_passwords, read_roster, remove_user,
                               reset_password, write_passwords)
from lib.access.sessions import Sessions
from lib.atomic import write_bytes_atomic
from lib.data.download import download
from lib.data.scores import ScoresFileError, read_scores_file
from lib.diagnosis import diagnose_run
from lib.metrics.screening import DEFAULT_PTS, pt_key, summary
from lib.jobs.folder.describe import trained_with
from lib.report import build_report
from lib.jobs.folder.files import read_json
from lib.jobs.folder.protocol import request_stop
from lib.jobs.folder.store import SHARED_OWNER, RunStore
from lib.training.config import ConfigError
from lib.jobs.executor import check_run
from lib.jobs.job import explain
from lib.jobs.job import run_job


def _dataset(name: str):
    """A dataset by task name, by dataset key ("lungs") or by an unambiguous start of either ("lung")."""
    try:
        return tasks.dataset(name)
    except KeyError as exc:
        raise argparse.ArgumentTypeError(str(exc).strip("'\"")) from None


def _cmd_demo(args) -> int:
    out = Path(args.out) if args.out else paths.demo_dir()

    def show(fraction: float, message: str) -> None:
        print(f"[{fraction * 100:5.1f}%] {message}", flush=True)

    keys = [args.dataset.key] if args.dataset else None
    try:
        written = tasks.write_demo(out, keys, small=args.small, seed=args.seed, progress=show)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for key, path in written.items():
        print(f"{key}: {path}")
    return 0


def _cmd_inspect(args) -> int:
    task = tasks.get(args.task)
    report = task.inspect(Path(args.path))
    print(report.format_text())
    if args.json:
        print(json.dumps({"task": task.name, **report.to_dict()}))
    return 0 if report.ok else 1


def _cmd_download(args) -> int:
    out = Path(args.out) if args.out else paths.data_dir() / args.dataset.key
    code, message = download(args.dataset, out)
    print(message, file=sys.stderr if code else sys.stdout)
    return code


def _class_change(args, rows: list | None = None, password: str | None = None, prepared: dict | None = None):
    """The change an action makes to the class's settings: ``change(settings) -> (settings, what to report)``, run under
    the class file's lock (:func:`lib.access.policy.update_class`); ``rows``: an imported roster's; ``password``: the
    one add-user read (before taking the lock)."""
    def change(settings):
        report = {"rows": rows}
        if args.action == "auth":
            settings = replace(settings, auth=args.mode, proxy_header=args.proxy_header or settings.proxy_header)
            if args.proxy_secret:
                report["secret"] = secrets.token_urlsafe(32)
                settings = replace(settings, proxy_secret=secret_hash(report["secret"]))
        elif args.action == "add-user":
            name = check_name(args.name)
            name = find_user(settings.users, name) or name  # "bob" sets the password of an existing "Bob"
            users = {**settings.users, name: hash_password(password)}
            lecturers = settings.lecturers + ((name,) if args.lecturer and name not in settings.lecturers else ())
            settings = replace(settings, users=users, lecturers=lecturers)
        elif args.action == "lecturer":
            name = check_name(args.name)
            name = find_user(settings.users, name) or name
            settings = replace(settings, lecturers=settings.lecturers + (() if name in settings.lecturers else (name,)))
        elif args.action == "remove-user":
            name = find_user(settings.users, args.name) or find_user(dict.fromkeys(settings.lecturers), args.name)
            if name is None:
                raise ClassFileError(f"the class has no user {args.name!r}")
            settings, report["name"] = remove_user(settings, name), name
        elif args.action == "reset-password":
            name = find_user(settings.users, args.name) or args.name
            settings, report["password"] = reset_password(settings, name)
            report["name"] = name
        elif args.action == "import":
            settings, created = import_roster(settings, report["rows"], prepared=prepared)
            if created:  # the list first: a class file naming users whose passwords nobody has would lock them out
                write_passwords(args.passwords, created)
            report["created"] = created
        return settings, report
    return change


def _cmd_class(args) -> int:
    path = Path(args.file) if args.file else class_file()
    sessions = Sessions(path.with_name("sign-in.sqlite3"))
    try:
        report = {}
        if args.action == "unlock":
            kind, key = (ADDRESS, args.address) if args.address else (ACCOUNT, args.name)
            if not key:
                raise ValueError("name an account (class unlock NAME) or an address (class unlock --address ADDRESS)")
            forgotten = SignInGuard(path.with_name("sign-in.sqlite3")).unlock(kind, key)
            print(f"{'unlocked' if forgotten else 'nothing to unlock:'} {kind} {key!r} "
                  f"({forgotten} failed sign-in(s) forgotten)", file=sys.stderr)
        elif args.action != "show":
            rows = None
            if args.action == "import":
                if Path(args.passwords).exists():
                    raise ValueError(f"{args.passwords} exists already (it may hold passwords not handed out yet): "
                                     "name a new file")
                if Path(args.csv).stat().st_size > MAX_ROSTER_BYTES:
                    raise ValueError(f"{Path(args.csv).name} is larger than {MAX_ROSTER_BYTES // (1024 * 1024)} MB: "
                                     "a roster holds names and roles only")
                rows = read_roster(Path(args.csv).read_text(encoding="utf-8-sig"), where=Path(args.csv).name)
                prepared = prepare_passwords(load_class(path), rows)  # the slow part, before the class file's lock
            password = sys.stdin.readline().rstrip("\n") if args.action == "add-user" else None
            change = _class_change(args, rows, password, prepared if args.action == "import" else None)
            try:
                report = update_class(change, path)
            except BaseException:
                if args.action == "import" and Path(args.passwords).exists():
                    Path(args.passwords).unlink()  # the class file was not changed: those passwords mean nothing
                raise
            if args.action in ("remove-user", "reset-password"):
                sessions.close_user(report.get("name", args.name))  # signed in with the old password: not any more
        settings = load_class(path)
    except (ClassFileError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.action == "import":
        created = report["created"]
        print(f"{len(created)} new user(s), {len(report['rows']) - len(created)} already in the class; "
              + (f"their passwords are in {args.passwords} (readable by you only): hand them out, then delete it"
                 if created else "no password list written"), file=sys.stderr)
    if "password" in report:
        print(f"{report.get('name', args.name)}'s new password (shown once): {report['password']}", file=sys.stderr)
    if report.get("secret"):
        print(f"The proxy's shared secret (shown once; the class file keeps only its hash). Have the proxy add it to "
              f"every request, e.g. in nginx:\n    proxy_set_header {PROXY_SECRET_HEADER} {report['secret']};",
              file=sys.stderr)
    if settings.auth == "proxy" and not settings.proxy_secret:
        print("note: without a proxy secret, run the app on 127.0.0.1 only (--server.address 127.0.0.1) behind the "
              "proxy; on every interface it refuses proxy sign-ins", file=sys.stderr)
    shown = {**settings.to_json(), "users": sorted(settings.users), "proxy_secret": bool(settings.proxy_secret)}
    print(json.dumps({"file": str(path), **shown}))
    return 0


def _cmd_train(args) -> int:
    task = tasks.get(args.task)
    overrides = {"epochs": args.epochs, "seed": args.seed}
    for option in tasks.options():
        value = getattr(args, option.dest, None)
        if value is None:
            continue
        if option not in task.options:
            print(f"error: {option.flag} does not apply to the {task.name} task", file=sys.stderr)
            return 2
        overrides.update(option.settings(value))
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"error: --set takes KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        overrides[key.strip()] = value.strip()
    for key, option in (("data", "--data"), ("task", "the task argument"), ("preset", "--preset")):
        if key in overrides:
            print(f"error: {key} cannot be changed with --set; use {option}", file=sys.stderr)
            return 2
    report = task.read(str(Path(args.data).resolve()))
    try:
        config = tasks.config_for(task.name, preset=args.preset, data=str(Path(args.data).resolve()), **overrides)
        if report.ok:
            config = check_run(config, task, check=report)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not report.ok:
        print(f"error: the {task.title} dataset at {config['data']} cannot be used: {report.fatal}", file=sys.stderr)
        print(f"check it with: python -m lib inspect {task.name} {args.data}", file=sys.stderr)
        return 2
    if report.problems:
        print(f"note: {len(report.problems)} file(s) of the dataset will be skipped (python -m lib inspect shows which)")

    store = RunStore(Path(args.runs_dir) if args.runs_dir else paths.runs_dir())
    try:
        run_dir = store.create(config, owner=SHARED_OWNER, label=args.label or "")
    except OSError as exc:
        error = explain(exc, store.root)
        print(f"error: could not create the run folder: {error}", file=sys.stderr)
        print(json.dumps({"run_dir": None, "run_id": None, "state": "failed", "error": error}))
        return 1
    print(f"run {run_dir.name}: {task.name}, preset {args.preset}, in {run_dir}", flush=True)
    signal.signal(signal.SIGINT, lambda *_: (print("stopping after this batch ...", flush=True), request_stop(run_dir)))
    signal.signal(signal.SIGTERM, lambda *_: request_stop(run_dir))

    status = run_job(run_dir, echo=lambda line: print(line, flush=True))
    try:
        metrics = read_json(run_dir / "metrics.json") if (run_dir / "metrics.json").is_file() else {}
    except ValueError:
        metrics = {}
    if status.get("state") == "failed":
        print(f"error: training failed: {status.get('error')}", file=sys.stderr)
    try:
        print(f"trained with: {trained_with(read_json(run_dir / 'config.json'), status)}", flush=True)
    except ValueError:
        pass  # an unreadable config: the run's state below says what happened
    findings = _diagnosis(store, run_dir, task)
    for finding in findings:
        print(f"diagnosis: {finding['title']}: {finding['text']}", flush=True)
    print(json.dumps({"run_dir": str(run_dir), "run_id": run_dir.name, "state": status.get("state"),
                      "error": status.get("error"), **metrics, "diagnosis": findings}))
    return 0 if status.get("state") in ("done", "stopped") else 1


def _diagnosis(store, run_dir: Path, task) -> list[dict]:
    """The run's findings (:mod:`lib.diagnosis`) as dicts; none when the folder cannot be read back."""
    try:
        return [finding.to_dict() for finding in diagnose_run(store.load(run_dir.name), task)]
    except (ValueError, OSError):
        return []


def _cmd_gradcam(args) -> int:
    """Where a finished run's model looks on one input (the task's ``saliency``, Grad-CAM for DR): writes an .npz,
    prints one JSON line."""
    run_dir = Path(args.run_dir)
    try:
        config = read_json(run_dir / "config.json")
        task = tasks.get(config.get("task"))
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {run_dir} is not a readable run folder ({str(exc).strip(chr(39))})", file=sys.stderr)
        return 2
    if task.saliency is None:
        print(f"error: {task.title} runs have no heat map of where the model looks", file=sys.stderr)
        return 2
    try:
        result = task.saliency(run_dir, Path(args.photo), Path(args.out))
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


def _cmd_report(args) -> int:
    """A student's report as one self-contained HTML file (:mod:`lib.report`)."""
    store = RunStore(Path(args.runs_dir) if args.runs_dir else paths.runs_dir())
    owner = args.owner or f"user:{args.user}"
    out = Path(args.out)
    if out.is_dir():
        print(f"error: --out {out} is a folder; give a file name, e.g. {out / 'report.html'}", file=sys.stderr)
        return 2
    try:
        write_bytes_atomic(out, build_report(store, owner=owner, name=args.user or owner).encode())
    except OSError as exc:
        print(f"error: cannot write {out} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) for {args.user or owner}")
    return 0


def _threshold_probabilities(text: str) -> tuple[float, ...]:
    """``0.1,0.2,0.3`` -> (0.1, 0.2, 0.3); each strictly between 0 and 1."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or not all(0 < value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"give threshold probabilities between 0 and 1 (both excluded) separated by "
                                         f"commas, e.g. 0.1,0.2,0.3; got {text!r}")
    return values


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _cmd_screen(args) -> int:
    """Any screening test's scores from a CSV (:mod:`lib.data.scores`) summarised (:func:`lib.metrics.screening.summary`):
    a few lines, then (``--json``) one JSON line."""
    try:
        data = read_scores_file(args.file, score=args.score, label=args.label, group=args.group, id=args.id)
        result = summary(data.scores, data.labels, groups=data.groups, threshold=args.threshold,
                         thresholds=args.thresholds, seed=args.seed)
    except (ScoresFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{data.source}: {result['n']} items ({result['n_pos']} positive, {result['n_neg']} negative)")
    low, high = result["auc_interval"]
    print(f"AUC {result['auc']:.3f} (95 % bootstrap interval {low:.3f} to {high:.3f})")
    print(f"threshold {result['threshold']:.4f} ({result['threshold_rule']}): sensitivity "
          f"{_percent(result['sensitivity'])}, specificity {_percent(result['specificity'])}")
    if result["brier"] is not None:
        print(f"calibration: Brier {result['brier']:.4f}, ECE {result['ece']:.4f} ({result['calibration_bins']} "
              "equal-count bins)")
    if result["temperature"] is not None:
        print(f"temperature {result['temperature']:.3f}, {result['temperature_fitted_on']}: Brier "
              f"{result['brier_before_on_that_half']:.4f} -> {result['brier_after']:.4f}, ECE "
              f"{result['ece_before_on_that_half']:.4f} -> {result['ece_after']:.4f}")
    if result.get("calibration_note"):
        print(f"note: {result['calibration_note']}")
    for pt in args.thresholds if result["net_benefit"] else ():
        print(f"net benefit at threshold probability {pt_key(pt)}: {result['net_benefit'][pt_key(pt)]:.4f} "
              f"(refer all {result['net_benefit_refer_all'][pt_key(pt)]:.4f}, refer none 0)")
    for name, group in result["groups"].items():
        auc = "no AUC (one class)" if group["auc"] is None else f"AUC {group['auc']:.3f}"
        print(f"group {name}: n {group['n']}, {auc}, sensitivity {_percent(group['sensitivity'])}, specificity "
              f"{_percent(group['specificity'])}")
    if args.json:
        print(json.dumps({"file": data.source, **result}, allow_nan=False))
    return 0


def _cmd_score(args) -> int:
    """A finished run's model scores another dataset folder (a DR run on the demo's second site): writes a scores CSV,
    prints one JSON line."""
    run_dir = Path(args.run_dir)
    try:
        task = tasks.get(read_json(run_dir / "config.json").get("task"))
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {run_dir} is not a readable run folder ({str(exc).strip(chr(39))})", file=sys.stderr)
        return 2
    if task.score_folder is None:
        print(f"error: {task.title} runs cannot score another dataset folder", file=sys.stderr)
        return 2
    try:
        result = task.score_folder(run_dir, Path(args.data), Path(args.out), cache_dir=paths.cache_dir())
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


def _setting(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def reproduce_command(config: dict) -> str:
    """The one command line that trains a run like this one again: ``python -m lib train TASK --data DATA --preset P``
    and a ``--set KEY=VALUE`` for each setting that differs from the preset (shell-quoted).

    Raises
    ------
    KeyError
        The configuration names a task this server does not have.
    """
    task = tasks.get(config["task"])
    preset = config.get("preset") if config.get("preset") in task.presets else "quick"
    base = task.presets[preset]
    words = ["python", "-m", "lib", "train", task.name, "--data", str(config["data"]), "--preset", preset]
    for name in task.fields:
        if name != "data" and name in config and (name not in base or base[name] != config[name]):
            words += ["--set", f"{name}={_setting(config[name])}"]
    return shlex.join(words)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib", description="Deep learning in medical imaging: data and training tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    task_names = tasks.names()

    demo = sub.add_parser("demo", help="write the synthetic demo datasets in Kaggle's layouts")
    demo.add_argument("dataset", nargs="?", type=_dataset,
                      help=f"only this dataset (a task: {', '.join(task_names)}; or {', '.join(tasks.datasets())}); default all")
    demo.add_argument("--out", help=f"target folder (default {paths.demo_dir()})")
    demo.add_argument("--small", action="store_true", help="a few dozen tiny items, for tests")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_cmd_demo)

    inspect = sub.add_parser("inspect", help="check a dataset folder and summarise it")
    inspect.add_argument("task", choices=task_names)
    inspect.add_argument("path", help="the folder holding the Kaggle layout")
    inspect.add_argument("--json", action="store_true", help="end with one JSON line")
    inspect.set_defaults(func=_cmd_inspect)

    download = sub.add_parser("download", help="fetch a dataset from Kaggle (needs credentials)")
    download.add_argument("dataset", type=_dataset, metavar="DATASET",
                          help=f"a task ({', '.join(task_names)}) or a dataset ({', '.join(tasks.datasets())}); a start works too")
    download.add_argument("--out", help="target folder (default: the data dir)")
    download.set_defaults(func=_cmd_download)

    train = sub.add_parser("train", help="train without the UI; the last line printed is a JSON summary")
    train.add_argument("task", choices=task_names)
    train.add_argument("--data", required=True, help="dataset folder (Kaggle layout)")
    train.add_argument("--preset", choices=sorted({name for t in tasks.all_tasks() for name in t.presets}), default="quick",
                       help="quick, course, or a preset of the task's own (DR's course_gpu: batch 64, for a GPU)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--seed", type=int)
    train.add_argument("--runs-dir", help=f"where runs are saved (default {paths.runs_dir()})")
    for option in tasks.options():
        train.add_argument(option.flag, dest=option.dest, help=f"{option.help} ({', '.join(t.name for t in tasks.all_tasks() if option in t.options)} only)")
    train.add_argument("--label", help="a name for the run in the app's run lists")
    train.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any setting, e.g. --set learning_rate=0.01")
    train.set_defaults(func=_cmd_train)

    klass = sub.add_parser("class", help="set up a class: sign-in mode, users and passwords, lecturers")
    klass.add_argument("--file", help="the class file (default: DLMI_CLASS_FILE or <data>/class.json)")
    class_sub = klass.add_subparsers(dest="action", required=True)
    setup = class_sub.add_parser("auth", help="choose how people sign in")
    setup.add_argument("mode", choices=("token", "roster", "proxy", "oidc"))
    setup.add_argument("--proxy-header", help="proxy mode: the header that names the user (default X-Forwarded-User)")
    setup.add_argument("--proxy-secret", action="store_true",
                       help=f"proxy mode: make a new shared secret the proxy must send in {PROXY_SECRET_HEADER} (printed "
                            "once); without one, the app must listen on 127.0.0.1 only")
    unlock = class_sub.add_parser("unlock", help="clear an account's or an address's failed sign-ins (lift its lockout)")
    unlock.add_argument("name", nargs="?", help="the account (compared without regard to case)")
    unlock.add_argument("--address", help="unlock a client address instead (as the Class page lists it)")
    imported = class_sub.add_parser("import", help="add everyone of a roster CSV (header: name, optional role) with "
                                                   "generated passwords; names already in the class are kept")
    imported.add_argument("csv", help="the roster: a header with name (and optionally role: student or lecturer)")
    imported.add_argument("--passwords", required=True, metavar="OUT.csv",
                          help="where to write the new users' name,password list (mode 0600)")
    add = class_sub.add_parser("add-user", help="add a user (or set their password); reads the password from stdin")
    add.add_argument("name")
    add.add_argument("--lecturer", action="store_true", help="give the user the lecturer role")
    lecturer = class_sub.add_parser("lecturer", help="give a user name (oidc: an e-mail) the lecturer role")
    lecturer.add_argument("name")
    remove = class_sub.add_parser("remove-user", help="remove a user and their lecturer role (signs them out)")
    remove.add_argument("name")
    reset = class_sub.add_parser("reset-password", help="give a user a new generated password, printed once (signs "
                                                        "them out everywhere)")
    reset.add_argument("name")
    class_sub.add_parser("show", help="print the class's settings (without password hashes)")
    klass.set_defaults(func=_cmd_class)

    report = sub.add_parser("report", help="a student's runs and answers as one self-contained HTML file")
    who = report.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="a signed-in user's name (as in the class file, or an e-mail with oidc)")
    who.add_argument("--owner", help="an owner as run folders record it (a single-user token)")
    report.add_argument("--out", required=True, help="the HTML file to write")
    report.add_argument("--runs-dir", help=f"where runs are saved (default {paths.runs_dir()})")
    report.set_defaults(func=_cmd_report)

    gradcam = sub.add_parser("gradcam", help="where a run's model looks on one input (Grad-CAM for DR), saved as .npz")
    gradcam.add_argument("run_dir", help="a finished run folder of a task with a heat map (DR)")
    gradcam.add_argument("photo", help="the input (a photo of any size; preprocessed as the run's were)")
    gradcam.add_argument("--out", required=True, help="the .npz to write (photo, cam, score)")
    gradcam.set_defaults(func=_cmd_gradcam)

    screen = sub.add_parser("screen", help="any screening test's scores from a CSV: AUC, calibration, net benefit, "
                                           "subgroups at one threshold (the Screening page's figures)")
    screen.add_argument("file", help="a CSV with a score column and a 0/1 label column (header in the first row)")
    screen.add_argument("--score", default="score", help="the score column (default: score)")
    screen.add_argument("--label", default="label", help="the 0/1 label column (default: label)")
    screen.add_argument("--group", help="a subgroup column (a site, a camera, an eye)")
    screen.add_argument("--id", help="an image path or ID column (default: image, id or path if there is one)")
    screen.add_argument("--threshold", type=float, help="the shared operating point: score >= T is positive "
                                                        "(default: Youden's J on the whole set)")
    screen.add_argument("--thresholds", type=_threshold_probabilities, default=DEFAULT_PTS, metavar="P1,P2,...",
                        help="threshold probabilities for the net benefit (default: 0.1,0.2,0.3)")
    screen.add_argument("--seed", type=int, default=0, help="the bootstrap's and the held-out half's seed")
    screen.add_argument("--json", action="store_true", help="end with one JSON line")
    screen.set_defaults(func=_cmd_screen)

    score = sub.add_parser("score", help="a finished DR run's model scores another EyePACS-layout folder (another "
                                         "site), written as a scores CSV for python -m lib screen or the Screening page")
    score.add_argument("run_dir", help="a finished DR run folder")
    score.add_argument("data", help="a folder in the EyePACS layout (the demo's second site: <eyepacs>/site_b)")
    score.add_argument("--out", required=True, help="the CSV to write (image,score,label)")
    score.set_defaults(func=_cmd_score)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)
