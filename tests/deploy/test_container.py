"""deploy/Dockerfile and deploy/compose.yaml, checked statically (no container engine here: the image is never built),
and deploy/entrypoint.sh run for real: SIGTERM reaches the server's workers and the container's first process waits
until they have saved."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """A Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    found, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def dockerfile() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text())


def values(kind: str) -> list[str]:
    return [rest for word, rest in dockerfile() if word == kind]


def compose() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML parses compose.yaml")
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_dockerfile_parser_joins_continuations():
    assert instructions("# c\nFROM x\nRUN a \\\n    && b\n\nENV A=1 \\\n  B=2\n") == [
        ("FROM", "x"), ("RUN", "a && b"), ("ENV", "A=1 B=2")]


def test_the_image_is_python_3_11_slim_set_up_by_the_projects_own_script_as_a_user_not_root():
    assert values("FROM") == ["python:3.11-slim"]
    runs = " ".join(values("RUN"))
    assert "bash scripts/setup.sh" in runs
    users = values("USER")
    assert users and users[-1] not in ("root", "0")
    assert "useradd" in runs and users[-1] in runs
    assert values("WORKDIR") == ["/opt/dlmi"]  # the same place as the systemd units'


def test_every_file_the_image_copies_exists():
    sources = set()
    for args in values("COPY"):
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        for source in words[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the project"
            sources.add(source.rstrip("/"))
    needed = {"app.py", "server.py", "pages", "lib", "ui", "scripts", "requirements.txt", ".streamlit",
              "deploy/entrypoint.sh"}
    assert needed <= sources, f"the image lacks {sorted(needed - sources)}"


def test_the_image_keeps_its_state_in_volumes_and_checks_its_health_on_streamlits_route():
    env = dict(word.split("=", 1) for args in values("ENV") for word in shlex.split(args))
    volumes = json.loads(values("VOLUME")[0])
    for name in ("DLMI_DATA_DIR", "DLMI_RUNS_DIR", "DLMI_CACHE_DIR"):
        assert env[name] in volumes, name
    assert env["KERAS_HOME"].startswith(env["DLMI_CACHE_DIR"])  # downloaded weights survive a new container
    assert env["RAY_USAGE_STATS_ENABLED"] == "0"
    health = values("HEALTHCHECK")[0]
    assert "/_stcore/health" in health and "STREAMLIT_SERVER_PORT" in health
    assert values("STOPSIGNAL") == ["SIGTERM"]
    assert json.loads(values("ENTRYPOINT")[0]) == ["/bin/bash", "deploy/entrypoint.sh"]
    assert json.loads(values("CMD")[0]) == ["/bin/bash", "scripts/app.sh"]


def test_compose_runs_two_replicas_behind_the_tested_nginx_config_with_a_gpu():
    services = compose()["services"]
    apps = {name: s for name, s in services.items() if s.get("build")}
    assert len(apps) >= 2
    ports = set()
    for name, app in apps.items():
        assert (ROOT / "deploy" / app["build"]["context"] / app["build"]["dockerfile"]).resolve() == DOCKERFILE
        env = app["environment"]
        assert env["DLMI_TRUSTED_PROXIES"] == "127.0.0.1" and env["STREAMLIT_SERVER_ADDRESS"] == "127.0.0.1", name
        assert app["network_mode"] == "service:net", name  # nginx is the only one that reaches them (on loopback)
        ports.add(int(env["STREAMLIT_SERVER_PORT"]))
        devices = app["deploy"]["resources"]["reservations"]["devices"]
        assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices), name
        assert {v.split(":")[1] for v in app["volumes"]} == {"/var/lib/dlmi/data", "/var/lib/dlmi/runs",
                                                             "/var/lib/dlmi/cache"}, name
        grace = app["stop_grace_period"]
        assert grace.endswith("s") and int(grace[:-1]) >= 120, name
    upstream = re.findall(r"^\s*server 127\.0\.0\.1:(\d+)", (DEPLOY / "nginx.conf").read_text(), re.MULTILINE)
    assert ports == {int(p) for p in upstream}  # nginx.conf's replicas are exactly these
    nginx = services["nginx"]
    assert nginx["network_mode"] == "service:net"
    mounts = dict(v.rsplit(":", 2)[:2] for v in nginx["volumes"])
    assert mounts["./nginx.conf"].startswith("/etc/nginx/conf.d/")
    cert = re.search(r"ssl_certificate\s+(\S+);", (DEPLOY / "nginx.conf").read_text()).group(1)
    assert Path(cert).parent.as_posix() in mounts.values()  # the certificate folder is mounted where nginx reads it
    published = services["net"]["ports"]
    assert sorted(published) == ["443:443", "80:80"]  # nothing else: not the replicas, not Ray
    for name, service in services.items():
        assert "ports" not in service or name == "net", name


def test_every_file_compose_mounts_or_builds_exists():
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                path = DEPLOY / source
                assert path.exists() or source == "./certs", f"{name} mounts {source}: missing"
        if "build" in service:
            assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()


# --- the entrypoint, for real ----------------------------------------------------------------------------------------
SERVER = r"""
import signal, subprocess, sys, time
out = sys.argv[1]
subprocess.Popen([sys.executable, "-c", sys.argv[2], out, "lib.jobs.worker"])  # a training worker (same process group)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))                   # the server ends at once on SIGTERM
while True:
    time.sleep(0.05)
"""
WORKER = r"""
import signal, sys, time
out = sys.argv[1]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(time.time()))
open(out + ".up", "w").close()
while not stop:
    time.sleep(0.02)
time.sleep(1.5)                                                         # finishing its batch, evaluating, saving
open(out + ".saved", "w").close()
"""


def test_docker_stop_reaches_the_workers_and_the_container_waits_until_they_have_saved(tmp_path, processes):
    out = str(tmp_path / "job")
    first = subprocess.Popen(["bash", str(DEPLOY / "entrypoint.sh"), sys.executable, "-c", SERVER, out, WORKER],
                             start_new_session=True)  # its own group, as the container's first process has
    try:
        deadline = time.time() + 60
        while not os.path.exists(out + ".up"):
            assert time.time() < deadline and first.poll() is None, "the worker never started"
            time.sleep(0.05)
        first.send_signal(signal.SIGTERM)  # what `docker stop` does: to the first process only
        assert first.wait(timeout=60) == 0
        assert os.path.exists(out + ".saved")  # the worker got SIGTERM and was let finish before the end
    finally:
        try:
            os.killpg(first.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_server_that_ends_by_itself_ends_the_container_with_its_status(tmp_path, processes):
    done = subprocess.run(["bash", str(DEPLOY / "entrypoint.sh"), sys.executable, "-c", "import sys; sys.exit(3)"],
                          start_new_session=True, timeout=60)
    assert done.returncode == 3
