"""Runs through DLMI_EXECUTOR=ray on a local Ray (CPU): start, progress, stop, a killed task marked failed."""

import os
import signal

import pytest

os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")  # read when Ray is imported: no second Ray after shutdown
ray = pytest.importorskip("ray", reason="Ray is installed by requirements.txt")

from lib.jobs.folder import files  # noqa: E402
from lib.jobs.folder.protocol import read_status, request_stop  # noqa: E402
from lib.jobs.folder.store import RunStore  # noqa: E402
from lib.jobs.executor import start_run  # noqa: E402
from lib.jobs.executor import make_executor  # noqa: E402
from lib.jobs.job import run_job  # noqa: E402
from tests.helpers.waiting import wait_for  # noqa: E402
from tests.lib.training.conftest import tiny_config  # noqa: E402


@pytest.fixture(scope="module")
def executor(tmp_path_factory, short_tmp):
    cache = tmp_path_factory.mktemp("ray-cache")
    previous = {k: os.environ.get(k) for k in ("DLMI_EXECUTOR", "DLMI_CACHE_DIR", "RAY_ADDRESS")}
    os.environ.update(DLMI_EXECUTOR="ray", DLMI_CACHE_DIR=str(cache))
    os.environ.pop("RAY_ADDRESS", None)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=100 * 2**20, _temp_dir=str(short_tmp / "ray"))
    try:
        yield make_executor(job=run_job)  # the app's choice, from DLMI_EXECUTOR
    finally:
        ray.shutdown()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_a_quick_run_goes_through_ray_and_reports_progress(executor, demo_root, tmp_path):
    from lib.jobs.ray_executor import RayExecutor

    assert isinstance(executor, RayExecutor) and executor.num_gpus == 0  # no GPU in this cluster
    store = RunStore(tmp_path / "runs")
    run_dir = start_run(store, tiny_config("lung2d", demo_root, epochs=2), owner="alice", executor=executor)
    assert read_status(run_dir)["executor"] == "ray"
    wait_for(lambda: read_status(run_dir).get("state") in ("done", "failed"), timeout=300)
    run = store.load(run_dir.name)
    assert run.summary.state == "done", run.status.get("error")
    assert list(run.history["epoch"]) == [1, 2] and "mean_slice_iou" in run.metrics
    assert run.progress.get("phase") and (run_dir / files.MODEL).is_file()
    assert run.status.get("slot") is None  # Ray scheduled it: no local slot was taken
    wait_for(lambda: executor.outstanding == 0)


def test_stop_and_a_killed_ray_task(executor, demo_root, tmp_path):
    store = RunStore(tmp_path / "runs")
    stopped = start_run(store, tiny_config("lung2d", demo_root, epochs=500, batch_size=1), owner="alice",
                        executor=executor)
    killed = start_run(store, tiny_config("lung2d", demo_root, epochs=500, batch_size=1, seed=2), owner="bob",
                       executor=executor)
    for run_dir in (stopped, killed):
        progress = run_dir / files.PROGRESS
        wait_for(lambda: progress.is_file() and files.read_json(progress).get("step", 0) >= 1, timeout=300)
    request_stop(stopped)
    os.kill(read_status(killed)["pid"], signal.SIGKILL)  # the Ray worker process running the job
    wait_for(lambda: read_status(stopped).get("state") in ("stopped", "failed"), timeout=300)
    wait_for(lambda: read_status(killed).get("state") == "failed", timeout=120)
    assert store.load(stopped.name).summary.state == "stopped" and (stopped / files.MODEL).is_file()
    assert "ended before the run did" in read_status(killed)["error"] or "worker" in read_status(killed)["error"]


def test_a_run_stopped_while_ray_holds_it_back_is_cancelled(executor, demo_root, tmp_path):
    store = RunStore(tmp_path / "runs")
    # two CPUs in this Ray: two long runs take them, the third waits in Ray's queue
    busy = [start_run(store, tiny_config("lung2d", demo_root, epochs=500, batch_size=1, seed=s), owner="alice",
                      executor=executor) for s in (1, 2)]
    waiting = start_run(store, tiny_config("lung2d", demo_root, epochs=1), owner="bob", executor=executor)
    wait_for(lambda: all(read_status(r).get("state") == "running" for r in busy), timeout=300)
    wait_for(lambda: read_status(waiting).get("queue_position") == 0, timeout=30)
    request_stop(waiting)
    wait_for(lambda: read_status(waiting).get("state") == "stopped", timeout=30)
    assert read_status(waiting)["stop_reason"] == "stopped before it started"
    for run_dir in busy:
        request_stop(run_dir)
    wait_for(lambda: all(read_status(r).get("state") in ("stopped", "failed") for r in busy), timeout=300)
