"""Checks of a pretrained-weights file before a run starts (no Keras needed for the path checks).

A weights field holds "imagenet", "none" or a path. A path must name a regular ``.h5`` or ``.keras``
file inside a folder weights may be read from: Keras' own cache (``KERAS_HOME/models``, default
``~/.keras/models``) or the configured weights folder (``DLMI_WEIGHTS_DIR``, default ``DATA_DIR/weights``). On a
shared server this keeps a student from pointing the server at arbitrary files (another user's, a device, a pipe),
and the answers do not help anyone probe the server's files: a file outside those folders gets the same answer as a
file that does not exist, and the folders are named by their settings, never by their paths on the server.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from lib import paths

NAMED = ("imagenet", "none")
EXTENSIONS = (".h5", ".keras")
FOLDERS_NAMED = "the weights folder (DLMI_WEIGHTS_DIR) or Keras' cache (KERAS_HOME/models)"


def weight_folders(env: Mapping[str, str] = os.environ) -> list[Path]:
    """The folders weights files may be read from."""
    keras_home = Path(env.get("KERAS_HOME") or Path.home() / ".keras")
    return [keras_home / "models", Path(env.get("DLMI_WEIGHTS_DIR") or paths.data_dir(env) / "weights")]


def path_problem(value: str, *, folders: list[Path] | None = None) -> str | None:
    """None when ``value`` is "imagenet", "none" or a usable weights file path; else a sentence naming it.

    Never opens the file (a FIFO would block the caller). Whether a path outside the weights folders exists is never
    told: it gets the answer a missing file gets.

    Examples
    --------
    >>> path_problem("imagenet") is None
    True
    >>> path_problem("/etc/passwd", folders=[Path("/srv/weights")])
    'The weights file /etc/passwd must end in .h5 or .keras.'
    >>> path_problem("/etc/shadow.h5", folders=[Path("/srv/weights")])  # exists or not: the same answer
    "There is no weights file shadow.h5 in the weights folder (DLMI_WEIGHTS_DIR) or Keras' cache (KERAS_HOME/models); copy it there and give its name."
    """
    if value in NAMED:
        return None
    folders = weight_folders() if folders is None else folders
    path = Path(value).expanduser()
    if path.suffix.lower() not in EXTENSIONS:
        return f"The weights file {value} must end in .h5 or .keras."
    missing = f"There is no weights file {path.name} in {FOLDERS_NAMED}; copy it there and give its name."
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return missing
    if not any(_within(resolved, f) for f in folders):
        return missing  # outside: the same answer as missing, so the field cannot probe the server's files
    try:
        info = path.stat()
    except FileNotFoundError:
        return missing
    except OSError as exc:
        return f"The weights file {path.name} cannot be read ({exc.strerror or exc})."
    if stat.S_ISDIR(info.st_mode):
        return f"{path.name} is a folder, not a weights file."
    if not stat.S_ISREG(info.st_mode):
        return f"{path.name} is not a regular file (a pipe or a device), so it cannot hold weights."
    return None


def _within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder.expanduser().resolve())
        return True
    except (ValueError, OSError):
        return False


def fit_problem(value: str, *, image_size: int) -> str | None:
    """None when the weights file loads into MobileNetV2 without its top at ``image_size``; else a sentence.

    Builds the backbone (a second or two, and imports Keras): call it once per file and size.
    """
    if value in NAMED:
        return None
    import keras  # framework: loading the file needs Keras: callers in the server use fit_problem_elsewhere

    try:
        keras.applications.MobileNetV2(include_top=False, weights=str(value), input_shape=(image_size, image_size, 3))
    except Exception as exc:  # noqa: BLE001 - any loading error means the file does not fit
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return (f"The weights file {Path(value).name} does not fit MobileNetV2 without its top at {image_size} pixels "
                f"({reason}).")
    return None


def fit_problem_checked(value: str, *, image_size: int) -> str | None:
    """:func:`path_problem`, then :func:`fit_problem_elsewhere`, remembered per file (path, size, modification time)
    and image size, so a second Start with the same file costs nothing."""
    problem = path_problem(value)
    if problem or value in NAMED:
        return problem
    info = Path(value).expanduser().stat()
    return _fit_remembered(str(value), int(image_size), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=32)
def _fit_remembered(value: str, image_size: int, size: int, mtime_ns: int) -> str | None:
    return fit_problem_elsewhere(value, image_size=image_size)


def fit_problem_elsewhere(value: str, *, image_size: int, timeout_s: float = 180.0) -> str | None:
    """:func:`fit_problem` in a child process, for callers that must not import Keras themselves (the Streamlit
    server: once Keras is imported, Streamlit clears a Keras session after every rerun of every page)."""
    script = ("import sys; from lib.models.weights import fit_problem; "
              "print(fit_problem(sys.argv[1], image_size=int(sys.argv[2])) or '')")
    try:
        done = subprocess.run([sys.executable, "-c", script, str(value), str(int(image_size))], capture_output=True,
                              text=True, cwd=paths.PROJECT_ROOT, timeout=timeout_s,
                              env={**os.environ, "PYTHONPATH": str(paths.PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"})
    except subprocess.TimeoutExpired:
        return f"Checking the weights file {Path(value).name} took longer than {timeout_s:.0f} s; try again."
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()
        return f"The weights file {Path(value).name} could not be checked ({tail[-1] if tail else 'unknown error'})."
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines and lines[-1] else None
