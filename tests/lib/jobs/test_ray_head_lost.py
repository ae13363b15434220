"""When the Ray head dies, nothing waits forever: the runs Ray held back end as failed, and the next Start is refused
with the reason. The Ray driver runs in a child process: a driver whose head is gone may be aborted by Ray itself,
which must not take the test session with it."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is installed by requirements.txt")

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = r"""
import json, os, sys, time
from pathlib import Path
os.environ["RAY_ENABLE_AUTO_CONNECT"] = "0"
import psutil, ray
from lib.jobs.executor import start_run
from lib.jobs.folder.protocol import FINAL_STATES, read_status
from lib.jobs.folder.store import RunStore
from lib.jobs.ray_executor import RayExecutor
from lib.jobs.job import run_job
from tests.lib.training.conftest import tiny_config

demo, work = Path(sys.argv[1]), Path(sys.argv[2])
ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, object_store_memory=100 * 2**20,
         _temp_dir=str(work / "ray"))
out = {}
try:
    executor = RayExecutor(run_job, num_cpus=1, poll_s=0.5, ping_every_s=1.0, ping_timeout_s=3.0)
    store = RunStore(work / "runs")
    occupy = ray.remote(num_cpus=1)(lambda: __import__("time").sleep(600))  # by value: the workers import no test
    occupy.remote()  # the cluster's one CPU, busy: Ray holds the run back
    held = start_run(store, tiny_config("lung2d", demo, seed=2), owner="bob", executor=executor)
    time.sleep(3)
    out["held_before"] = read_status(held).get("state"), read_status(held).get("pid")
    # the head's store of this script's Ray only: a Ray another test runs at the same time (another xdist worker)
    # must keep its head, or Ray aborts that test's process too
    out["heads_killed"] = 0
    for process in psutil.Process().children(recursive=True):
        try:
            if (process.cmdline() or [""])[0].endswith("gcs_server"):
                process.kill()
                out["heads_killed"] += 1
        except psutil.Error:
            pass
    end = time.time() + 45
    while time.time() < end and read_status(held)["state"] not in FINAL_STATES:
        time.sleep(0.5)
    out["held_after"] = read_status(held).get("state"), read_status(held).get("error")
    try:
        start_run(store, tiny_config("lung2d", demo, seed=3), owner="carol", executor=executor)
        out["refused"] = None
    except OSError as exc:
        out["refused"] = str(exc)
    out["carol"] = [(r.state, r.error) for r in store.list()[0] if r.owner == "carol"]
finally:
    print(json.dumps(out), flush=True)
    os._exit(0)  # Ray's own shutdown may wait for the dead head: the result is printed already
"""


def test_a_dead_ray_head_fails_the_held_runs_and_refuses_new_ones(demo_root, short_tmp):
    work = short_tmp  # short: Ray's socket paths must fit 107 bytes
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DLMI_CACHE_DIR": str(work / "cache"), "RAY_ENABLE_AUTO_CONNECT": "0"}
    env.pop("RAY_ADDRESS", None)
    driver = subprocess.Popen([sys.executable, "-c", SCRIPT, str(demo_root), str(work)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = driver.communicate(timeout=240)
    finally:
        try:
            os.killpg(driver.pid, signal.SIGKILL)  # Ray's processes of that session: its head is dead, nobody ends them
        except ProcessLookupError:
            pass
        psutil = pytest.importorskip("psutil")
        for process in psutil.process_iter(["cmdline"]):  # and any that left the group (they name the session's folder)
            if str(work) in " ".join(process.info["cmdline"] or []):
                try:
                    process.kill()
                except psutil.Error:
                    pass
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert lines, stderr[-3000:]
    out = json.loads(lines[-1])
    assert out["heads_killed"] == 1  # its own Ray's head, and no other Ray's
    assert out["held_before"] == ["queued", None]  # held back by Ray, no worker yet
    state, error = out["held_after"]
    assert state == "failed" and "Ray does not answer" in error
    assert out["refused"] and "Ray does not answer" in out["refused"]
    assert [state for state, _ in out["carol"]] == ["failed"] and "Ray does not answer" in out["carol"][0][1]
