"""Jobs on a Ray cluster: each run a Ray task that calls :func:`lib.training.job.run_job` on a shared runs folder.

``DLMI_EXECUTOR=ray`` makes the app use it; ``RAY_ADDRESS`` says which cluster (unset: a local Ray is started).
The run folder stays the whole protocol, so it must live on storage every node sees (NFS or similar), and the
project must be at the same path on every node (``DLMI_RAY_PROJECT_DIR`` if not this one). What changes:

- **Scheduling** is Ray's: each task asks for ``DLMI_RAY_GPUS`` GPUs (a fraction such as 0.25 lets four jobs
  share a card; default 1 where the cluster has GPUs, else 0) and ``DLMI_RAY_CPUS`` CPUs (default 1), and waits
  in Ray's queue until they are free; the local slots are not used. Each task runs in a fresh worker process
  (``max_calls=1``), so a job's memory (and GPU memory) goes with it, as with the local executor.
- **Queue position**: while Ray holds a task back, this executor writes its place among this app's waiting
  tasks into the run's status (in submission order, Ray's), so the panel shows it as today.
- **Stop** and **abandonment** work through the run folder as today (the STOP file, the heartbeat); a run
  stopped while Ray still holds it back is cancelled at once.
- **Failures**: a task that ends without finishing its run (a killed worker, a node lost, out of memory) is
  marked failed with Ray's reason, whichever node it ran on.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from lib import paths
from lib.runs.protocol import ACTIVE_STATES, read_status, stop_requested, update_status

# The environment a job needs from the app (its backend, where data and caches live); passed to every Ray task.
_PASSED = ("KERAS_BACKEND", "DLMI_DATA_DIR", "DLMI_CACHE_DIR", "DLMI_DR_DATA", "DLMI_LUNG_DATA", "DLMI_WEIGHTS_DIR",
           "DLMI_ABANDON_AFTER_S", "TF_CPP_MIN_LOG_LEVEL")


def _run_on_a_node(run_dir: str) -> dict:
    """The body of a Ray task: run the job where Ray placed it (no local slots: Ray decided it may run now)."""
    from lib.training.job import run_job

    return run_job(run_dir, echo=lambda line: print(line, flush=True), use_slots=False)


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class RayExecutor:
    """Submits each run as a Ray task and watches the tasks from a background thread.

    Parameters
    ----------
    address : the Ray cluster (default RAY_ADDRESS; None starts a local Ray)
    num_gpus, num_cpus : what each job asks Ray for (default DLMI_RAY_GPUS / DLMI_RAY_CPUS)
    poll_s : how often the watcher looks at the tasks
    init_options : more ``ray.init`` options (tests: ``num_cpus``)
    """

    def __init__(self, address: str | None = None, *, num_gpus: float | None = None, num_cpus: float | None = None,
                 poll_s: float = 1.0, **init_options):
        # this process connects to Ray here, once; never implicitly later (from the watcher, after a shutdown)
        os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")
        import ray

        self._ray = ray
        if not ray.is_initialized():
            ray.init(address=address or os.environ.get("RAY_ADDRESS"), include_dashboard=False,
                     log_to_driver=False, **init_options)
        has_gpus = ray.cluster_resources().get("GPU", 0) > 0
        self.num_gpus = _float_env("DLMI_RAY_GPUS", 1.0 if has_gpus else 0.0) if num_gpus is None else num_gpus
        self.num_cpus = _float_env("DLMI_RAY_CPUS", 1.0) if num_cpus is None else num_cpus
        project = os.environ.get("DLMI_RAY_PROJECT_DIR") or str(paths.PROJECT_ROOT)
        env = {name: os.environ[name] for name in _PASSED if name in os.environ}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [project, os.environ.get("PYTHONPATH")]))
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
        self._remote = ray.remote(max_calls=1, max_retries=0)(_run_on_a_node).options(
            num_gpus=self.num_gpus, num_cpus=self.num_cpus, runtime_env={"env_vars": env})
        self._pending: dict = {}  # ObjectRef -> run folder, in submission order
        self._lock = threading.Lock()
        self._poll_s = poll_s
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="ray-executor-watch")
        self._watcher.start()

    def submit(self, run_dir: Path) -> None:
        run_dir = Path(run_dir)
        ref = self._remote.remote(str(run_dir))
        update_status(run_dir, executor="ray", ray_task=ref.hex())
        with self._lock:
            self._pending[ref] = run_dir

    @property
    def outstanding(self) -> int:
        with self._lock:
            return len(self._pending)

    # --- the watcher --------------------------------------------------------------------------------------------
    def _watch(self) -> None:
        # ends with Ray in this process (ray.shutdown): asking a stopped Ray anything would start a new one
        while self._ray.is_initialized():
            try:
                self._check()
            except Exception:  # noqa: BLE001 - the watcher must outlive one bad read (a run deleted meanwhile)
                pass
            time.sleep(self._poll_s)

    def _check(self) -> None:
        with self._lock:
            refs = list(self._pending)
        if not refs or not self._ray.is_initialized():
            return
        done, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
        for ref in done:
            with self._lock:
                run_dir = self._pending.pop(ref)
            self._finished(ref, run_dir)
        waiting = 0
        with self._lock:
            left = list(self._pending.items())
        for ref, run_dir in left:
            status = read_status(run_dir)
            if status.get("pid"):  # started: run_job reports for itself from here on
                continue
            if stop_requested(run_dir):
                self._ray.cancel(ref, force=False)
                update_status(run_dir, state="stopped", stop_reason="stopped before it started", ended=time.time())
                continue
            if status.get("queue_position") != waiting:
                update_status(run_dir, queue_position=waiting)
            waiting += 1

    def _finished(self, ref, run_dir: Path) -> None:
        """A task ended: when it ended without finishing its run, the run is marked failed with Ray's reason."""
        try:
            self._ray.get(ref, timeout=0)
            error = None
        except Exception as exc:  # noqa: BLE001 - Ray's own errors (worker crashed, task cancelled, node died)
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        status = read_status(run_dir)
        if status.get("state") in ACTIVE_STATES:
            reason = error or "the Ray task ended without finishing the run"
            update_status(run_dir, state="failed", ended=time.time(),
                          error=f"the job's Ray task ended before the run did ({reason[:300]})")
