"""docs/deploy.md against the project: the files it names exist, the settings it names are read by the code, the class
commands it gives are real, Ray's ports are the units', and its backup script runs on a real class file, sign-in store
and runs folder."""

from __future__ import annotations

import re
import shutil
import sqlite3
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from lib.access.sessions import Sessions

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"
CODE = ("lib", "ui", "pages", "server.py", "app.py", "scripts")


def doc() -> str:
    return DOC.read_text()


def test_every_project_file_it_names_exists():
    named = set(re.findall(r"`((?:deploy|scripts|lib|tests|docs|bench)/[\w./@-]+)`", doc()))
    named |= set(re.findall(r"\]\(((?:deploy|docs)/[\w./@-]+)\)", doc()))
    assert len(named) > 10
    missing = sorted(n for n in named if not (ROOT / n.rstrip("/")).exists())
    assert not missing, missing


def test_every_setting_it_names_is_read_by_the_code():
    read = set()
    for root in CODE:
        for path in [ROOT / root] if (ROOT / root).is_file() else (ROOT / root).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".sh"):
                read.update(re.findall(r"\bDLMI_[A-Z0-9_]+", path.read_text(errors="ignore")))
    named = set(re.findall(r"\bDLMI_[A-Z0-9_]+", doc()))
    assert {"DLMI_TRUSTED_PROXIES", "DLMI_RAY_PRIVATE_NETWORK", "DLMI_CLASS_FILE"} <= named
    assert not named - read, sorted(named - read)


def test_every_class_command_it_gives_exists():
    actions = set(re.findall(r'class_sub\.add_parser\("([\w-]+)"', (ROOT / "lib" / "cli.py").read_text()))
    given = set(re.findall(r"\b(?:dlmi|python -m lib) class ([a-z][\w-]*)", doc()))
    assert given and not given - actions, sorted(given - actions)


def test_the_ray_ports_it_lists_are_the_units_fixed_ports():
    text = doc()
    for name in ("dlmi-ray-head.service", "dlmi-ray-worker.service"):
        unit = (ROOT / "deploy" / "systemd" / name).read_text()
        for port in re.findall(r"--[a-z-]*port (\d+)", unit):
            assert re.search(rf"\b{port}\b", text), f"{name}: port {port} is not in docs/deploy.md"
    for port in ("6379", "8265", "10001", "10002-19999"):  # Ray's own, named by the issue
        assert port in text


def backup_script() -> str:
    block = re.search(r"```bash\n(#!/bin/bash\n# dlmi-backup.*?)```", doc(), re.DOTALL)
    assert block, "docs/deploy.md has the backup script"
    return block.group(1)


def test_the_backup_script_copies_the_class_file_the_sign_in_store_and_the_runs(tmp_path, processes):
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 command line is not installed here (Debian: apt-get install sqlite3)")
    state, backups = tmp_path / "state", tmp_path / "backups"
    (state / "runs" / "run-1").mkdir(parents=True)
    (state / "runs" / "run-1" / "status.json").write_text('{"state": "done"}')
    (state / "class.json").write_text('{"auth": "roster", "users": {}}')
    (state / "class.json").chmod(0o600)  # as the app writes it
    sessions = Sessions(state / "sign-in.sqlite3")
    sessions.open("ada", "scrypt$hash")
    writer = sqlite3.connect(state / "sign-in.sqlite3", isolation_level=None)
    writer.execute("BEGIN")  # a reader on the live store meanwhile (the app's): .backup copies it all the same
    writer.execute("SELECT count(*) FROM sessions").fetchone()
    script = backup_script().replace("/var/lib/dlmi", str(state)).replace("/var/backups/dlmi", str(backups))
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    writer.execute("COMMIT")
    writer.close()
    assert done.returncode == 0, done.stderr
    (day,) = backups.iterdir()
    assert (day / "class.json").read_text() == (state / "class.json").read_text()
    with sqlite3.connect(day / "sign-in.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT user FROM sessions").fetchall() == [("ada",)]
    with tarfile.open(day / "runs.tar.gz") as archive:
        assert "runs/run-1/status.json" in archive.getnames()
    for path in [day, *day.iterdir()]:  # umask 077: the backups are as private as the originals
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
