"""deploy/systemd/: the service units say what matters (a dedicated user, restarts, SIGTERM reaching the training
workers with time to save, the sandbox leaving the state folder writable, settings the code reads, scripts that
exist), and ``systemd-analyze verify`` accepts them where it is installed."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = Path("/opt/dlmi")  # where docs/deploy.md puts the project; the units name it
STATE = Path("/var/lib/dlmi")
CODE = ("lib", "ui", "pages", "server.py", "app.py", "scripts")


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values in order]}}: INI, but keys repeat (Environment=) and a line ending in a
    backslash goes on. An empty assignment resets the key's list, as systemd does."""
    sections: dict[str, dict[str, list[str]]] = {}
    current, pending = None, ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1].rstrip() + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"not a unit line: {line!r}"
        key, value = (part.strip() for part in line.split("=", 1))
        values = current.setdefault(key, [])
        if value:
            values.append(value)
        else:
            values.clear()
    assert not pending, "the file ends in a continuation"
    return sections


def environment(service: dict[str, list[str]]) -> dict[str, str]:
    env = {}
    for line in service.get("Environment", []):
        for word in shlex.split(line):
            name, value = word.split("=", 1)
            env[name] = value
    return env


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    return parse_unit((UNITS / name).read_text())


def one(service: dict[str, list[str]], key: str) -> str:
    values = service.get(key, [])
    assert len(values) == 1, f"{key}= is set {len(values)} times"
    return values[0]


def in_repo(path: str) -> Path:
    """A path on the installed server (under /opt/dlmi) as the file of this checkout it is."""
    return ROOT / Path(path).relative_to(INSTALLED)


def code_names() -> set[str]:
    names: set[str] = set()
    for root in CODE:
        for path in [ROOT / root] if (ROOT / root).is_file() else (ROOT / root).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".sh"):
                names.update(re.findall(r"\bDLMI_[A-Z0-9_]+", path.read_text(errors="ignore")))
    return names


def test_the_parser_reads_repeated_keys_continuations_and_resets():
    parsed = parse_unit("# c\n[Service]\nEnvironment=A=1\nEnvironment=\"B=2 3\"\nExecStart=/bin/x \\\n  --y\n"
                        "ReadWritePaths=/a\nReadWritePaths=\nReadWritePaths=/b\n")
    assert environment(parsed["Service"]) == {"A": "1", "B": "2 3"}
    assert parsed["Service"]["ExecStart"] == ["/bin/x --y"] and parsed["Service"]["ReadWritePaths"] == ["/b"]


def test_the_app_unit_runs_a_replica_per_port_as_its_own_user_through_app_sh():
    service = unit("dlmi-app@.service")["Service"]
    assert one(service, "User") == "dlmi" and one(service, "Group") == "dlmi"
    workdir = one(service, "WorkingDirectory")
    assert Path(workdir) == INSTALLED
    command = shlex.split(one(service, "ExecStart"))
    script = next(word for word in command if word.endswith(".sh"))
    assert in_repo(script) == ROOT / "scripts" / "app.sh" and in_repo(script).is_file()
    assert command[0] == "/bin/bash" or Path(command[0]) == Path(script)
    options = " ".join(command[command.index(script) + 1:])
    assert "--server.port %i" in options  # the instance name is the port: dlmi-app@8501, dlmi-app@8502
    assert "--server.address 127.0.0.1" in options  # reached through nginx only
    assert "--server.headless true" in options
    assert "gatherUsageStats false" in (ROOT / "scripts" / "app.sh").read_text()  # no telemetry from Streamlit


def test_the_app_unit_restarts_and_lets_the_workers_save_on_stop():
    service = unit("dlmi-app@.service")["Service"]
    assert one(service, "Restart") == "on-failure"
    assert one(service, "KillSignal") == "SIGTERM"
    # control-group: SIGTERM reaches every worker too; "mixed" SIGKILLs them once the server exits, "process" and
    # "none" leave them unsignalled
    assert one(service, "KillMode") == "control-group"
    assert int(one(service, "TimeoutStopSec")) >= 120  # a batch, the test set's evaluation, the save
    worker = (ROOT / "lib" / "jobs" / "worker.py").read_text()
    assert "signal.signal(signal.SIGTERM" in worker and "request_stop" in worker  # SIGTERM is the Stop button


def test_the_app_unit_sets_the_folders_and_the_trusted_proxy_the_code_reads():
    service = unit("dlmi-app@.service")["Service"]
    env = environment(service)
    for name in ("DLMI_DATA_DIR", "DLMI_RUNS_DIR", "DLMI_CACHE_DIR", "DLMI_CLASS_FILE"):
        assert Path(env[name]).is_relative_to(STATE), name
    assert env["DLMI_TRUSTED_PROXIES"] == "127.0.0.1"  # nginx on this machine (deploy/nginx.conf)
    assert 'FORWARDED_ALLOW_IPS="${DLMI_TRUSTED_PROXIES' in (ROOT / "scripts" / "app.sh").read_text()
    known = code_names()
    unknown = {name for name in env if name.startswith("DLMI_") and name not in known}
    assert not unknown, f"the unit sets settings no code reads: {sorted(unknown)}"
    assert env.get("RAY_USAGE_STATS_ENABLED") == "0"
    assert Path(env["HOME"]).is_relative_to(STATE)  # Keras and friends write under ~: it must be writable


def test_the_sandbox_leaves_exactly_the_state_folder_writable():
    for name in ("dlmi-app@.service", "dlmi-ray-head.service", "dlmi-ray-worker.service"):
        service = unit(name)["Service"]
        assert one(service, "ProtectSystem") == "strict", name
        assert one(service, "NoNewPrivileges") == "true" and one(service, "PrivateTmp") == "true", name
        writable = [Path(p) for line in service.get("ReadWritePaths", []) for p in line.split()]
        assert writable == [STATE], name
        assert "PrivateDevices" not in service, f"{name}: PrivateDevices would hide the GPU"
        assert one(service, "UMask") == "0077", name
        for value in environment(service).values():  # every folder it is told to write into is writable
            if value.startswith("/") and not value.startswith("/etc/"):
                assert any(Path(value).is_relative_to(w) for w in writable), (name, value)


def test_the_ray_units_use_token_authentication_and_send_no_usage_stats():
    for name in ("dlmi-ray-head.service", "dlmi-ray-worker.service"):
        service = unit(name)["Service"]
        env = environment(service)
        assert env["RAY_AUTH_MODE"] == "token" and env["RAY_AUTH_TOKEN_PATH"].startswith("/etc/dlmi/"), name
        assert env["RAY_USAGE_STATS_ENABLED"] == "0", name
        command = shlex.split(one(service, "ExecStart"))
        assert in_repo(command[0]) == ROOT / ".venv" / "bin" / "ray" and command[1] == "start", name
        assert "--block" in command and "--disable-usage-stats" in command, name
        assert one(service, "User") == "dlmi", name
        temp = Path(command[command.index("--temp-dir") + 1])
        assert temp.is_relative_to(STATE), name  # not in the private /tmp: the app's driver finds its sockets there
    head = shlex.split(one(unit("dlmi-ray-head.service")["Service"], "ExecStart"))
    assert "--head" in head and head[head.index("--port") + 1] == "6379"
    assert head[head.index("--include-dashboard") + 1] == "false"
    assert re.search(r"^ray==2\.(5[2-9]|[6-9]\d)", (ROOT / "requirements.txt").read_text(), re.MULTILINE)


def test_every_unit_has_an_install_section_and_documentation():
    for path in sorted(UNITS.glob("*.service")):
        parsed = parse_unit(path.read_text())
        assert parsed["Install"]["WantedBy"] == ["multi-user.target"], path.name
        assert "deploy.md" in one(parsed["Unit"], "Documentation"), path.name


def test_systemd_analyze_verify_accepts_the_units(tmp_path, processes):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (Debian's systemd package has it)")
    files = []
    for path in sorted(UNITS.glob("*.service")):
        name = path.name.replace("@.service", "@8501.service")  # an instance of the template
        # the units name the installed project; verify checks that their programs exist, so point them at this one
        (tmp_path / name).write_text(path.read_text().replace(str(INSTALLED), str(ROOT)))
        files.append(str(tmp_path / name))
    done = subprocess.run([analyze, "verify", "--man=no", *files], capture_output=True, text=True, timeout=120)
    ours = [line for line in (done.stdout + done.stderr).splitlines() if "dlmi" in line]
    assert done.returncode == 0 and not ours, done.stdout + done.stderr
