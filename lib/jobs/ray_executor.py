"""Why a class can train on a cluster: each run a Ray task that calls :func:`lib.jobs.job.run_job` on a shared runs
folder.

``DLMI_EXECUTOR=ray`` makes the app use it; ``RAY_ADDRESS`` says which cluster (unset: a local Ray is started).
The run folder stays the whole protocol, so it must live on storage every node sees (NFS or similar), and the
project must be at the same path on every node (``DLMI_RAY_PROJECT_DIR`` if not this one). What changes:

- **Scheduling** is Ray's: each task asks for ``DLMI_RAY_GPUS`` GPUs (a fraction such as 0.25 lets four jobs
  share a card; default 1 where the cluster has GPUs, else 0) and ``DLMI_RAY_CPUS`` CPUs (default 1), and waits
  in Ray's queue until they are free; the local slots are not used. Each task runs in a fresh worker process
  (``max_calls=1``), so a job's memory (and GPU memory) goes with it, as with the local executor.
- **Queue position**: while Ray holds a task back, this executor writes its place among this app's waiting
  tasks into the run's status, in the same fair order as the local queue (users in turn,
  :func:`lib.jobs.queue.fair_order`), so the panel and the Class page read it as they do locally.
- **Stop** and **abandonment** work through the run folder as today (the STOP file, the heartbeat); a run
  stopped while Ray still holds it back is cancelled at once.
- **Failures**: a task that ends without finishing its run (a killed worker, a node lost, out of memory) is
  marked failed with Ray's reason, whichever node it ran on.
- **Only a secured Ray**: a Ray that others can reach runs whatever they send it (CVE-2023-48022, CVE-2025-62593),
  so the executor refuses to connect to a cluster (``RAY_ADDRESS`` or ``address``, ``auto`` included) unless Ray's
  token authentication is on (``RAY_AUTH_MODE=token``, Ray 2.52 or newer, the cluster's token in ``RAY_AUTH_TOKEN``,
  ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``) or ``DLMI_RAY_PRIVATE_NETWORK=1`` says the cluster is on a
  network nobody else reaches (:func:`unsecured_reason`). A local Ray (no address) is started by this process, and
  a local Ray is not loopback-only: on Linux its processes listen on every interface, at the machine's address. It
  is allowed because it is started with token authentication: Ray 2.60 (the pinned one) turns it on for a new local
  cluster when ``RAY_AUTH_MODE`` is unset, and this executor sets ``RAY_AUTH_MODE=token`` itself (before Ray is
  imported) so as not to depend on that default; only ``RAY_AUTH_MODE=disabled`` (or another mode) is refused here too.
- **Ray itself gone**: every ``PING_EVERY_S`` a probe asks Ray's head for the cluster's resources; when the head has
  not answered for ``PING_TIMEOUT_S`` (it is down), the runs Ray holds back are marked failed at once and a new Start
  is refused with that reason, instead of waiting forever. Should the app server die instead, its watcher stops
  writing ``ray_watched`` and every reader gives the held runs up after ``RAY_WATCH_GRACE_S``
  (:func:`lib.jobs.folder.protocol.stuck_reason`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Callable

from lib import paths
from lib.jobs.folder import files
from lib.jobs.folder.protocol import ACTIVE_STATES, read_status, stop_requested, update_status
from lib.jobs.queue import fair_order

# The environment a job needs from the app, passed to every Ray task: the project's own settings (every DLMI_
# variable: where data, caches and each task's dataset live, the extra task modules) and the frameworks'.
_PREFIXES = ("DLMI_", "KERAS_", "TF_CPP_")
# How often the watcher writes ``ray_watched`` into a held run's status (lib.jobs.folder.protocol.RAY_WATCH_GRACE_S: a run
# whose watcher has been silent for longer is given up as failed, its app server or its Ray head gone).
WATCH_EVERY_S = 10.0
PING_EVERY_S, PING_TIMEOUT_S = 15.0, 20.0


PRIVATE_NETWORK = "DLMI_RAY_PRIVATE_NETWORK"
TOKEN_AUTH_SINCE = (2, 52)  # the first Ray that reads RAY_AUTH_MODE: an older one ignores it and stays open


class RayNotSecured(RuntimeError):
    """This server will not use a Ray that anyone on its network could run code on."""


def unsecured_reason(address: str | None, env=os.environ, ray_version: str | None = None) -> str | None:
    """Why this server must not use the Ray at ``address`` (None or "": a local Ray this process starts), or None when
    it may: Ray's token authentication is on (``RAY_AUTH_MODE=token``; for a local Ray, unset counts as on, because
    the executor then sets it), or ``DLMI_RAY_PRIVATE_NETWORK=1``. ``ray_version``: the installed Ray's, when known
    (one older than 2.52 has no token authentication, whatever ``RAY_AUTH_MODE`` says)."""
    if env.get(PRIVATE_NETWORK, "").strip() == "1":
        return None
    mode = env.get("RAY_AUTH_MODE", "").strip().lower()
    where = f"the Ray cluster at {address}" if address else "a local Ray"
    if ray_version is not None and _version(ray_version) < TOKEN_AUTH_SINCE:
        problem = f"Ray {ray_version} has no token authentication (Ray 2.52 or newer has: pip install -U ray)"
    elif mode == "token" or (not address and not mode):
        return None
    elif mode:
        problem = f"RAY_AUTH_MODE is {mode!r}, not 'token', so it takes work from anyone who can reach it"
    else:
        problem = "RAY_AUTH_MODE is not set, so this server would connect without token authentication"
    return (f"Refusing to use {where}: {problem}. A Ray that others can reach runs any code they send it "
            "(CVE-2023-48022, CVE-2025-62593). Either turn on Ray's token authentication on the head, every worker "
            "and this server (RAY_AUTH_MODE=token, and the cluster's token in RAY_AUTH_TOKEN, in a file named by "
            f"RAY_AUTH_TOKEN_PATH, or in ~/.ray/auth_token), or, if the cluster is on a private network that nobody "
            f"else can reach, say so with {PRIVATE_NETWORK}=1. See docs/deploy.md.")


def _version(text: str) -> tuple[int, int]:
    parts = (text.split(".") + ["0", "0"])[:2]
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except ValueError:
        return 0, 0


def passed_environment(env=os.environ) -> dict[str, str]:
    """The variables of ``env`` that a job needs (see ``_PREFIXES``)."""
    return {name: value for name, value in env.items() if name.startswith(_PREFIXES)}


def _run_on_a_node(job: Callable[..., dict], run_dir: str) -> dict:
    """The body of a Ray task: run the job where Ray placed it (no local slots: Ray decided it may run now). ``job`` is
    the entry point that finds the run's task (:func:`lib.jobs.job.run_job`, handed in by whoever made the executor)."""
    return job(run_dir, echo=lambda line: print(line, flush=True), use_slots=False)


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _owner(run_dir: Path) -> str:
    try:
        owner = files.read_json(Path(run_dir) / files.CONFIG).get("owner")
    except (ValueError, OSError):
        return ""
    return owner if isinstance(owner, str) else ""


class RayExecutor:
    """Submits each run as a Ray task and watches the tasks from a background thread.

    Parameters
    ----------
    job : ``job(run_dir, **options) -> status``, what each Ray task runs: :func:`lib.jobs.job.run_job`
    address : the Ray cluster (default RAY_ADDRESS; None starts a local Ray); refused with :class:`RayNotSecured`
        unless token authentication is on or the network is private (:func:`unsecured_reason`)
    num_gpus, num_cpus : what each job asks Ray for (default DLMI_RAY_GPUS / DLMI_RAY_CPUS)
    poll_s : how often the watcher looks at the tasks
    ping_every_s, ping_timeout_s : how often the watcher asks Ray whether it answers, and how long it waits
    init_options : more ``ray.init`` options (tests: ``num_cpus``)
    """

    def __init__(self, job: Callable[..., dict], address: str | None = None, *, num_gpus: float | None = None,
                 num_cpus: float | None = None, poll_s: float = 1.0, ping_every_s: float = PING_EVERY_S,
                 ping_timeout_s: float = PING_TIMEOUT_S, **init_options):
        self._job = job
        self._ping_every_s, self._ping_timeout_s = ping_every_s, ping_timeout_s
        address = address or os.environ.get("RAY_ADDRESS") or None
        problem = unsecured_reason(address)  # before Ray is even imported: nothing is sent to an open cluster
        if problem:
            raise RayNotSecured(problem)
        # this process connects to Ray here, once; never implicitly later (from the watcher, after a shutdown)
        os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")
        if not address and os.environ.get(PRIVATE_NETWORK, "").strip() != "1" and "ray" not in sys.modules:
            # a local Ray listens on every interface, not loopback only: its token authentication keeps others out.
            # Ray reads RAY_AUTH_MODE when it is imported (set later, its processes would want a token it never made);
            # Ray 2.60 (pinned) turns it on for a new local cluster by default too: that covers a Ray imported first
            os.environ.setdefault("RAY_AUTH_MODE", "token")
        import ray  # optional: Ray: only on a server that uses it (DLMI_EXECUTOR=ray)

        problem = unsecured_reason(address, ray_version=ray.__version__)
        if problem:
            raise RayNotSecured(problem)
        self._ray = ray
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False, **init_options)
        has_gpus = ray.cluster_resources().get("GPU", 0) > 0
        self.num_gpus = _float_env("DLMI_RAY_GPUS", 1.0 if has_gpus else 0.0) if num_gpus is None else num_gpus
        self.num_cpus = _float_env("DLMI_RAY_CPUS", 1.0) if num_cpus is None else num_cpus
        project = os.environ.get("DLMI_RAY_PROJECT_DIR") or str(paths.PROJECT_ROOT)
        env = passed_environment()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [project, os.environ.get("PYTHONPATH")]))
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
        self._remote = ray.remote(max_calls=1, max_retries=0)(_run_on_a_node).options(
            num_gpus=self.num_gpus, num_cpus=self.num_cpus, runtime_env={"env_vars": env})
        self.problem: str | None = None  # why Ray does not answer, when it does not
        self._answered = time.time()
        threading.Thread(target=self._probe, daemon=True, name="ray-executor-probe").start()
        self._pending: dict = {}  # ObjectRef -> run folder, in submission order
        self._watched: dict = {}  # run folder -> when this watcher last wrote ray_watched
        self._lock = threading.Lock()
        self._poll_s = poll_s
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="ray-executor-watch")
        self._watcher.start()

    def capacity(self) -> None:
        return None  # Ray starts a task when the cluster has its resources free

    def describe(self) -> str:
        gpus = f"{self.num_gpus:g} GPU" if self.num_gpus else "no GPU"
        return (f"Jobs run as Ray tasks on the cluster ({os.environ.get('RAY_ADDRESS') or 'a local Ray'}), each asking "
                f"for {gpus} and {self.num_cpus:g} CPU; Ray starts a run when those are free, and waiting runs are "
                "shown in the same users-in-turn order.")

    def submit(self, run_dir: Path) -> None:
        """Hand the run to Ray; raises OSError (and the run fails, saying why) when Ray does not answer."""
        run_dir = Path(run_dir)
        if self.problem:
            update_status(run_dir, executor="ray", state="failed", error=self.problem, ended=time.time())
            raise OSError(self.problem)
        update_status(run_dir, executor="ray", ray_watched=time.time())
        ref = self._remote.remote(self._job, str(run_dir))
        update_status(run_dir, ray_task=ref.hex())
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

    def _probe(self) -> None:
        """Ask Ray's head for the cluster's resources every ``ping_every_s`` (the head answers it; a task can still
        run on a leased worker when the head is gone, so a task proves nothing); ``_answered`` is when it last did."""
        while self._ray.is_initialized():
            try:
                self._ray.cluster_resources()
                self._answered = time.time()
            except Exception:  # noqa: BLE001 - no answer: _alive sees the silence
                pass
            time.sleep(self._ping_every_s)

    def _alive(self) -> bool:
        """Whether Ray's head has answered within ``ping_timeout_s`` (plus one probe interval); sets ``problem`` when
        it has not."""
        silent = time.time() - self._answered
        if silent > self._ping_timeout_s + self._ping_every_s:
            self.problem = (f"Ray does not answer (its head has been silent for {silent:.0f} s); its head may be down. "
                            "Ask the lecturer to restart Ray and the app.")
            return False
        self.problem = None
        return True

    def _give_up_held(self) -> None:
        """Ray does not answer: the runs it holds back can never start; each ends as failed, saying why."""
        with self._lock:
            left = list(self._pending.items())
        for ref, run_dir in left:
            status = read_status(run_dir)
            if status.get("state") == "queued" and not status.get("pid"):
                update_status(run_dir, state="failed", error=self.problem, ended=time.time())
                with self._lock:
                    self._pending.pop(ref, None)

    def _check(self) -> None:
        if not self._ray.is_initialized():
            return
        if not self._alive():
            self._give_up_held()
            return
        with self._lock:
            refs = list(self._pending)
        if not refs:
            return
        done, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
        for ref in done:
            with self._lock:
                run_dir = self._pending.pop(ref)
            self._finished(ref, run_dir)
        with self._lock:
            left = list(self._pending.items())
        held, running = [], Counter()
        for ref, run_dir in left:
            status = read_status(run_dir)
            owner = _owner(run_dir)
            if status.get("pid"):  # started: run_job reports for itself from here on
                running[owner] += status.get("state") == "running"
                continue
            if stop_requested(run_dir):
                self._ray.cancel(ref, force=False)
                update_status(run_dir, state="stopped", stop_reason="stopped before it started", ended=time.time())
                continue
            held.append((float(status.get("submitted", 0.0)), run_dir, owner, status.get("queue_position")))
        order = fair_order([(submitted, str(run_dir), owner) for submitted, run_dir, owner, _ in held], running)
        now = time.time()
        for submitted, run_dir, owner, shown in held:
            place = order.index(str(run_dir))
            fresh = now - self._watched.get(run_dir, 0.0) < WATCH_EVERY_S
            if shown != place or not fresh:  # the watcher's word: while it comes, the run is not given up
                update_status(run_dir, queue_position=place, ray_watched=now)
                self._watched[run_dir] = now

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
