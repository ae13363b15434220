"""Benchmark: a class on one server (or several). N students sign in, each starts a quick Lung 2D run and watches it.

    python bench/classroom.py --students 30 [--tiny] [--max-jobs 1] [--timeout 3600]
    python bench/classroom.py --replicas 2 --students 60 --tiny [--tabs 2]
    python bench/classroom.py --poll [--students 30] [--within 10]

Starts the app (``streamlit run app.py``) with a class roster of N students (``roster`` sign-in), then simulates
each student over Streamlit's own websocket protocol, as a browser tab would speak it: open a session, sign in with
the form, open Lung 2D, press Start, and follow the run's live panel (its fragment re-runs every few seconds,
as the page asks) until the run ends. Students arrive a fraction of a second apart, as a class does.

Prints the server's CPU (share of one core) and peak memory (the Streamlit process alone; jobs run in their own
processes), each student's queue wait (from submitting to training), runs finished, runs lost (a student whose run
was never created or did not end in a final state), and pages that errored (an exception or an error box in any
student's page, or a dropped connection). The last line is one JSON object.

``--tiny`` trains the smallest run (one epoch of two batches on the small demo data) so that 10 students finish in
minutes on a 2-core CPU; without it each student runs the quick preset as it is.

``--replicas R`` starts R app servers sharing one runs folder, one class file and one data folder (as behind a load
balancer with sticky sessions) and spreads the students over them. ``--tabs T`` gives every student T tabs, on
different servers where there are several, that press Start at the same moment, with a class limit of one run per
student: the limit must hold across the servers (one run each, the other tabs refused with the limit's message,
which is not counted as a page error). A sampler reads the runs folder twice a second and reports the most jobs seen
training at once (at most ``--max-jobs``, global to the folder) and each student's most runs waiting or training at
once (at most the class limit).

``--poll``: no training. A lecturer's tab watches an open poll on a published DR run on the Class page (re-running
its live fragment as the page asks); the students sign in and open the DR page, then submit their operating point,
all within ``--within`` seconds. Prints the answers received and, per answer, the delay from its submission being
stored to the lecturer's view counting it (median, max). Target: every answer received, each shown within 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import cpu_line, free_port  # noqa: E402

PASSWORD = "class-of-2026"


class Student:
    """One browser tab, spoken over Streamlit's websocket: the elements of the last run, and the widgets' ids."""

    def __init__(self, name: str, port: int, tiny: bool, store, *, extra_ports: tuple[int, ...] = ()):
        self.name, self.port, self.tiny, self.store = name, port, tiny, store
        self.extra_ports = extra_ports  # more tabs, each on its server, that press Start at the same moment
        self.refused = 0  # Starts the class limit refused (the other tabs)
        self.errors: list[str] = []
        self.pages: dict[str, str] = {}  # page name -> page script hash
        self.page_hash = ""
        self.widgets: dict[str, tuple[str, object]] = {}  # label -> (widget id, its proto)
        self.texts: list[str] = []
        self.fragment: tuple[str, float] | None = None  # the live panel's (fragment id, interval)
        self.auto_reruns: dict[str, float] = {}  # every live fragment the page asked to re-run: id -> interval
        self.started = False
        self.repeated = 0  # clicks sent again because the first was lost to a rerun

    async def _send(self, ws, *, widget_states=(), fragment_id: str = "") -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_script_hash = self.page_hash
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        for widget in widget_states:
            state.widget_states.widgets.append(widget)
        await ws.send(msg.SerializeToString())

    async def _receive_run(self, ws, timeout: float = 300.0) -> None:
        """Read messages until the script run (or fragment run) finishes, collecting widgets, texts and errors."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.widgets, self.texts = {}, []
        end = time.monotonic() + timeout
        while True:
            data = await asyncio.wait_for(ws.recv(), timeout=max(1.0, end - time.monotonic()))
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "auto_rerun" and msg.auto_rerun.fragment_id:
                self.fragment = (msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
                self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
            elif kind == "new_session":  # a script run begins (after st.rerun too): what counts is the last one
                self.widgets, self.texts = {}, []
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the script asked for a rerun: its next run follows
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    self.errors.append("the page did not compile")
                return

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception: {element.exception.message[:200]}")
        elif kind == "alert" and element.alert.format == 1:  # ERROR
            self.errors.append(f"error box: {element.alert.body[:200]}")
        elif kind in ("text_input", "number_input", "button", "selectbox"):
            widget = getattr(element, kind)
            self.widgets[widget.label] = (widget.id, widget)
        elif kind == "markdown":
            self.texts.append(element.markdown.body)
        elif kind == "progress":
            self.texts.append(element.progress.text)

    def _widget(self, label: str):
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        if label not in self.widgets:
            raise RuntimeError(f"{self.name}: no widget {label!r} on the page (have {sorted(self.widgets)[:12]})")
        state = WidgetState()
        state.id = self.widgets[label][0]
        return state

    async def _open_tab(self, port: int) -> "Student":
        """Another tab of this student on the server at ``port``: signed in, on Lung 2D, ready to press Start."""
        tab = Student(self.name, port, self.tiny, self.store)
        import websockets

        tab.ws = await websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                          max_size=2**26, open_timeout=120, ping_interval=None)
        await tab._sign_in_and_open(tab.ws)
        return tab

    async def _sign_in_and_open(self, ws) -> list:
        """Sign in, open Lung 2D, set the tiny settings; returns the widget states to send with Start."""
        await self._send(ws)
        await self._receive_run(ws)
        for attempt in range(3):  # a click can be lost to a rerun the server started meanwhile: click again
            name, password, submit = self._widget("User name"), self._widget("Password"), self._widget("Sign in")
            name.string_value, password.string_value, submit.trigger_value = self.name, PASSWORD, True
            await self._send(ws, widget_states=[name, password, submit])
            await self._receive_run(ws)
            if any(f"Signed in as **{self.name}**" in t for t in self.texts) or self.errors:
                break
            self.repeated += 1
        if not any(f"Signed in as **{self.name}**" in t for t in self.texts):
            raise RuntimeError(f"{self.name}: the sign-in did not take ({self.texts[-3:]})")
        self.page_hash = self.pages["Lung 2D"]
        await self._send(ws)
        await self._receive_run(ws)
        states = []
        if self.tiny:
            for label, value in (("Epochs", 1), ("Batches per epoch (0: one pass over the training set)", 2)):
                state = self._widget(label)
                state.int_value = value
                states.append(state)
            budget = self._widget("Time budget in seconds (0: none)")
            budget.double_value = 0.0
            states.append(budget)
        self.start_states = states
        return states

    async def open_page(self, ws, page: str) -> None:
        """Sign in with the form (once), then open ``page`` (its name in the navigation)."""
        await self._send(ws)
        await self._receive_run(ws)
        name, password, submit = self._widget("User name"), self._widget("Password"), self._widget("Sign in")
        name.string_value, password.string_value, submit.trigger_value = self.name, PASSWORD, True
        await self._send(ws, widget_states=[name, password, submit])
        await self._receive_run(ws)
        self.page_hash = self.pages[page]
        await self._send(ws)
        await self._receive_run(ws)

    async def _press_start(self, ws) -> None:
        start = self._widget("Start training")
        start.trigger_value = True
        await self._send(ws, widget_states=self.start_states + [start])
        await self._receive_run(ws)

    async def attend(self) -> None:
        import websockets

        if self.extra_ports:
            await self._attend_with_tabs()
            return
        async with websockets.connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                      max_size=2**26, open_timeout=120, ping_interval=None) as ws:
            states = await self._sign_in_and_open(ws)
            for attempt in range(3):
                start = self._widget("Start training")
                start.trigger_value = True
                await self._send(ws, widget_states=states + [start])
                await self._receive_run(ws)
                if self._my_runs() or self.errors:
                    break
                self.repeated += 1
            self.started = True
            if self.fragment is None:
                raise RuntimeError(f"{self.name}: no live panel after Start ({self.texts[-3:]})")
            # watch: re-run the live panel as often as the page asks (a browser does the same) until the run ends,
            # then the whole page once, as the panel itself asks then
            while not self._run_ended():
                fragment_id, interval = self.fragment
                await asyncio.sleep(interval)
                await self._send(ws, fragment_id=fragment_id)
                await self._receive_run(ws)
            await self._send(ws)
            await self._receive_run(ws)

    async def _attend_with_tabs(self) -> None:
        """Several tabs press Start at the same moment; the class allows one run: exactly one may start."""
        tabs = [await self._open_tab(port) for port in (self.port, *self.extra_ports)]
        try:
            await asyncio.gather(*(tab._press_start(tab.ws) for tab in tabs))
            for tab in tabs:
                refusals = [e for e in tab.errors if "Could not start the training" in e and "at most" in e]
                self.refused += len(refusals)
                self.errors += [e for e in tab.errors if e not in refusals]
                tab.errors = []
            self.started = True
            watcher = tabs[0]
            if watcher.fragment is None:  # the refused tab: its next run follows the student's run
                await watcher._send(watcher.ws)
                await watcher._receive_run(watcher.ws)
            while not self._run_ended():
                if watcher.fragment is None:
                    await asyncio.sleep(3.0)
                    continue
                fragment_id, interval = watcher.fragment
                await asyncio.sleep(interval)
                await watcher._send(watcher.ws, fragment_id=fragment_id)
                await watcher._receive_run(watcher.ws)
            self.errors += watcher.errors
        finally:
            for tab in tabs:
                await tab.ws.close()

    def _my_runs(self) -> list:
        return [r for r in self.store.list(viewer=f"user:{self.name}")[0] if r.owner == f"user:{self.name}"]

    def _run_ended(self) -> bool:
        from lib.jobs.folder.protocol import FINAL_STATES

        mine = self._my_runs()
        return bool(mine) and all(r.state in FINAL_STATES for r in mine)


class PollStudent(Student):
    """A student who answers the class poll from the DR page (no training)."""

    submitted_at: float | None = None  # when the server had stored the answer (the click's rerun finished)

    async def ready(self, ws) -> None:
        await self.open_page(ws, "DR referral")

    async def answer(self, ws, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        label = next((label for label in self.widgets if label.startswith("Submit threshold")), None)
        if label is None:
            raise RuntimeError(f"{self.name}: no poll on the DR page ({self.texts[-3:]})")
        click = self._widget(label)
        click.trigger_value = True
        await self._send(ws, widget_states=[click])
        await self._receive_run(ws)
        self.submitted_at = time.monotonic()


class Lecturer(Student):
    """The lecturer's tab on the Class page: re-runs the poll's live fragment and notes when each count shows."""

    def __init__(self, port: int):
        super().__init__("lecturer", port, True, None)
        self.counts: list[tuple[float, int]] = []  # (when, answers shown)

    def _element(self, element) -> None:
        super()._element(element)
        if element.WhichOneof("type") == "metric" and element.metric.label == "Answers":
            self.counts.append((time.monotonic(), int(element.metric.body)))

    async def open_class_page(self, ws) -> None:
        await self.open_page(ws, "Class")

    async def watch(self, ws, until: asyncio.Event) -> None:
        while not until.is_set():
            await asyncio.sleep(min(self.auto_reruns.values(), default=2.0))
            for fragment_id in list(self.auto_reruns):  # the queue's and the poll's live parts, as a browser would
                await self._send(ws, fragment_id=fragment_id)
                await self._receive_run(ws)


async def _poll(lecturer: Lecturer, students: list[PollStudent], within_s: float) -> None:
    import websockets

    def connect(port):
        return websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=2**26, open_timeout=120, ping_interval=None)

    async with connect(lecturer.port) as lecturer_ws:
        await lecturer.open_class_page(lecturer_ws)
        sockets = [await connect(s.port).__aenter__() for s in students]
        try:
            for student, ws in zip(students, sockets):  # sign in and open DR one after another: not timed
                try:
                    await student.ready(ws)
                except Exception as exc:  # noqa: BLE001 - a student who could not get there is an error
                    student.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            done = asyncio.Event()
            watching = asyncio.create_task(lecturer.watch(lecturer_ws, done))

            async def one(i, student, ws):
                try:
                    await student.answer(ws, i * within_s / len(students))
                except Exception as exc:  # noqa: BLE001
                    student.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")

            await asyncio.gather(*(one(i, s, ws) for i, (s, ws) in enumerate(zip(students, sockets))))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (not lecturer.counts or lecturer.counts[-1][1] < len(students)):
                await asyncio.sleep(0.5)
            done.set()
            await watching
        finally:
            for ws in sockets:
                await ws.close()


def poll_main(args) -> int:
    """``--poll``: thirty answers within ten seconds, and how soon the lecturer's view shows each."""
    from lib.access.identity import hash_password
    from lib.access.policy import ClassSettings, save_class
    from lib.classroom.polls import PollStore
    from lib.jobs.folder.store import RunStore
    from lib.tasks import write_demo
    from tests.helpers.runs import make_dr_run  # a finished DR run with synthetic scores, as the tests make one

    work = Path(tempfile.mkdtemp(prefix="dlmi-poll-"))
    write_demo(work / "data" / "demo", ["eyepacs"], small=True)
    names = [f"student{i + 1:02d}" for i in range(args.students)]
    hashed = hash_password(PASSWORD)
    save_class(ClassSettings(auth="roster", lecturers=("lecturer",), users={n: hashed for n in [*names, "lecturer"]}),
               work / "class.json")
    store = RunStore(work / "runs")
    run_dir = make_dr_run(store, work / "data" / "demo" / "eyepacs", owner="user:lecturer")
    store.publish(run_dir.name, by="lecturer")
    poll = PollStore(store).open(run_dir.name, by="lecturer")
    print(f"CPU: {cpu_line()}; {args.students} students answer a poll within {args.within:g} s", flush=True)
    env = {**os.environ, "DLMI_DATA_DIR": str(work / "data"), "DLMI_RUNS_DIR": str(work / "runs"),
           "DLMI_CLASS_FILE": str(work / "class.json"), "DLMI_CACHE_DIR": str(work / "cache")}
    port = free_port()
    server = _start_server(port, env, work / "server.log")
    try:
        _wait_listening(port)
        lecturer = Lecturer(port)
        students = [PollStudent(n, port, True, store) for n in names]
        asyncio.run(asyncio.wait_for(_poll(lecturer, students, args.within), timeout=args.timeout))
    finally:
        server.terminate()
        server.wait(30)
    received = len(PollStore(store).answers(poll.poll_id))
    stored = sorted(s.submitted_at for s in students if s.submitted_at is not None)
    delays = []
    for k, at in enumerate(stored, start=1):  # answer k is shown once the lecturer's count reaches k
        shown = next((when for when, count in lecturer.counts if count >= k and when >= at), None)
        if shown is not None:
            delays.append(shown - at)
    span = stored[-1] - stored[0] if stored else 0.0
    errors = [f"{s.name}: {e}" for s in [lecturer, *students] for e in s.errors]
    print(f"answers received {received} of {len(names)} (submitted over {span:.1f} s); shown to the lecturer: "
          f"{len(delays)}" + (f", delay median {statistics.median(delays):.1f} s, max {max(delays):.1f} s" if delays else ""))
    for line in errors[:10]:
        print(f"  {line}")
    ok = received == len(names) and len(delays) == len(names) and max(delays, default=99) <= 5.0 and not errors
    print(json.dumps({"students": len(names), "received": received, "shown": len(delays),
                      "delay_s_median": round(statistics.median(delays), 2) if delays else None,
                      "delay_s_max": round(max(delays), 2) if delays else None, "submitted_over_s": round(span, 1),
                      "errors": len(errors), "target_met": ok, "cpu": cpu_line()}))
    return 0 if ok else 1


async def _class(students: list[Student], spacing_s: float) -> None:
    async def one(i: int, student: Student):
        await asyncio.sleep(i * spacing_s)
        try:
            await student.attend()
        except Exception as exc:  # noqa: BLE001 - one student's failure is a page error, not the bench's end
            student.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")

    await asyncio.gather(*(one(i, s) for i, s in enumerate(students)))


def _wait_listening(port: int, seconds: float = 60.0) -> None:
    """Until an app server listens on ``port`` (or ``seconds`` have passed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)


def _start_server(port: int, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", "server.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def _watch_runs(store, stop: threading.Event, seen: dict) -> None:
    """Twice a second: the most runs training at once, and each owner's most runs waiting or training at once."""
    while not stop.is_set():
        try:
            runs, _ = store.list()
        except OSError:
            runs = []
        seen["training"] = max(seen["training"], sum(1 for r in runs if r.state == "running"))
        active: dict[str, int] = {}
        for r in runs:
            if r.state in ("queued", "running"):
                active[r.owner] = active.get(r.owner, 0) + 1
        for owner, count in active.items():
            seen["active"][owner] = max(seen["active"].get(owner, 0), count)
        stop.wait(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--tiny", action="store_true", help="the smallest run: one epoch of two batches, small data")
    parser.add_argument("--max-jobs", type=int, default=1, help="DLMI_MAX_JOBS: jobs training at once")
    parser.add_argument("--replicas", type=int, default=1, help="app servers sharing one runs folder")
    parser.add_argument("--tabs", type=int, default=1, help="tabs per student pressing Start at once (limit: 1 run)")
    parser.add_argument("--spacing", type=float, default=0.5, help="seconds between two students arriving")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before the bench gives up")
    parser.add_argument("--poll", action="store_true", help="no training: the students answer a class poll")
    parser.add_argument("--within", type=float, default=10.0, help="--poll: seconds over which the answers come")
    args = parser.parse_args()
    if args.poll:
        return poll_main(args)

    from lib.access.identity import hash_password
    from lib.access.policy import ClassSettings, save_class
    from lib.jobs.folder.store import RunStore
    from lib.tasks import write_demo

    limit = 1 if args.tabs > 1 else 2
    print(f"CPU: {cpu_line()}; {args.students} students, {'tiny runs' if args.tiny else 'quick preset'}, "
          f"DLMI_MAX_JOBS={args.max_jobs}, {args.replicas} app server(s), {args.tabs} tab(s) each, "
          f"limit {limit} run(s) per student", flush=True)
    work = Path(tempfile.mkdtemp(prefix="dlmi-classroom-"))
    write_demo(work / "data" / "demo", ["lungs"], small=args.tiny)
    names = [f"student{i + 1:02d}" for i in range(args.students)]
    hashed = hash_password(PASSWORD)  # one hash for all: the bench measures the class, not scrypt thirty times
    save_class(ClassSettings(auth="roster", lecturers=("lecturer",), users={n: hashed for n in [*names, "lecturer"]},
                             max_active_runs=limit), work / "class.json")
    env = {**os.environ, "DLMI_DATA_DIR": str(work / "data"), "DLMI_RUNS_DIR": str(work / "runs"),
           "DLMI_CLASS_FILE": str(work / "class.json"), "DLMI_MAX_JOBS": str(args.max_jobs),
           "DLMI_CACHE_DIR": str(work / "cache"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    ports = [free_port() for _ in range(args.replicas)]
    servers = [_start_server(port, env, work / f"server-{port}.log") for port in ports]
    procs = [psutil.Process(server.pid) for server in servers]
    peak_mb, stop = [0.0], threading.Event()
    seen = {"training": 0, "active": {}}
    workers = {"peak_mb": 0.0, "most": 0, "waiting_mb_max": 0.0}  # the job processes (python -m lib.jobs.worker RUN_DIR)

    def sample() -> None:
        while not stop.is_set():
            try:
                peak_mb[0] = max(peak_mb[0], sum(proc.memory_info().rss for proc in procs) / 2**20)
            except psutil.Error:
                return
            found = []
            for proc in procs:
                try:
                    found += [c for c in proc.children(recursive=True) if "lib.jobs.worker" in " ".join(c.cmdline())]
                except psutil.Error:
                    continue
            sizes = {}
            for child in found:
                try:
                    sizes[child.pid] = (child.memory_info().rss / 2**20, child.cmdline()[-1])
                except psutil.Error:
                    continue
            workers["peak_mb"] = max(workers["peak_mb"], sum(mb for mb, _ in sizes.values()))
            workers["most"] = max(workers["most"], len(sizes))
            for mb, run_dir in sizes.values():
                try:
                    status = json.loads((Path(run_dir) / "status.json").read_text())
                    waiting = status.get("state") == "queued" and status.get("slot") is None  # no slot yet
                except (OSError, ValueError):
                    continue
                if waiting:
                    workers["waiting_mb_max"] = max(workers["waiting_mb_max"], mb)
            stop.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    watcher = threading.Thread(target=_watch_runs, args=(RunStore(work / "runs"), stop, seen), daemon=True)
    try:
        for port in ports:  # every server answers
            _wait_listening(port)
        sampler.start()
        watcher.start()
        cpu_before, wall_before = sum(sum(proc.cpu_times()[:2]) for proc in procs), time.monotonic()
        students = []
        for i, n in enumerate(names):
            home = ports[i % len(ports)]
            others = tuple(ports[(i + k) % len(ports)] for k in range(1, args.tabs))
            students.append(Student(n, home, args.tiny, RunStore(work / "runs"), extra_ports=others))
        try:
            asyncio.run(asyncio.wait_for(_class(students, args.spacing), timeout=args.timeout))
        except asyncio.TimeoutError:
            print(f"gave up after {args.timeout:.0f} s", flush=True)
        wall = time.monotonic() - wall_before
        cpu_share = (sum(sum(proc.cpu_times()[:2]) for proc in procs) - cpu_before) / wall
    finally:
        stop.set()
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    runs, problems = RunStore(work / "runs").list()
    by_owner = {}
    for run in runs:
        by_owner.setdefault(run.owner, []).append(run)
    waits, finished, lost = [], 0, []
    for name in names:
        mine = by_owner.get(f"user:{name}", [])
        # one tab: exactly one run. Several tabs: each Start the limit let through is a run (one at a time, so a tab
        # whose Start came after the first run ended starts a second one); every run must end done or stopped.
        wrong = len(mine) != 1 if args.tabs == 1 else not mine
        if wrong or any(r.state not in ("done", "stopped") for r in mine):
            lost.append(f"{name}: {[r.state for r in mine] or 'no run'}"
                        + (f" ({mine[0].error})" if mine and mine[0].error else ""))
            continue
        finished += 1
        for run in mine:
            waits.append(float(run.status["started"]) - float(run.status["submitted"]))
    errors = [f"{s.name}: {e}" for s in students for e in s.errors]
    most_active = max(seen["active"].values(), default=0)
    limits_held = seen["training"] <= args.max_jobs and most_active <= limit
    print(f"servers: {cpu_share * 100:.0f} % of one core on average over {wall:.0f} s; peak memory {peak_mb[0]:.0f} MB "
          f"(all {args.replicas} together)")
    print(f"worker processes: at most {workers['most']} at once, {workers['peak_mb']:.0f} MB together at the peak; a "
          f"waiting one at most {workers['waiting_mb_max']:.0f} MB")
    if waits:
        print(f"queue wait per student: min {min(waits):.0f} s, median {statistics.median(waits):.0f} s, "
              f"max {max(waits):.0f} s")
    print(f"runs finished {finished} of {len(names)}; lost {len(lost)}; pages that errored {len(errors)}; "
          f"unreadable run folders {len(problems)}; clicks sent again (lost to a rerun) "
          f"{sum(s.repeated for s in students)}; Starts refused by the limit {sum(s.refused for s in students)}")
    print(f"most runs training at once {seen['training']} (DLMI_MAX_JOBS {args.max_jobs}); a student's most runs waiting "
          f"or training at once {most_active} (limit {limit}): limits {'held' if limits_held else 'BROKEN'}")
    for line in (lost + errors)[:20]:
        print(f"  {line}")
    print(json.dumps({"students": len(names), "replicas": args.replicas, "tabs": args.tabs, "finished": finished,
                      "lost": len(lost), "errors": len(errors), "most_training": seen["training"],
                      "most_active_per_student": most_active, "limit": limit, "limits_held": limits_held,
                      "refused_starts": sum(s.refused for s in students),
                      "server_peak_mb": round(peak_mb[0], 1), "server_cpu_share": round(cpu_share, 3),
                      "wait_s_min": round(min(waits), 1) if waits else None,
                      "wait_s_median": round(statistics.median(waits), 1) if waits else None,
                      "wait_s_max": round(max(waits), 1) if waits else None, "wall_s": round(wall, 1),
                      "clicks_repeated": sum(s.repeated for s in students), "tiny": args.tiny,
                      "max_jobs": args.max_jobs, "workers_most": workers["most"],
                      "workers_peak_mb": round(workers["peak_mb"], 1),
                      "waiting_worker_mb_max": round(workers["waiting_mb_max"], 1), "cpu": cpu_line()}))
    return 0 if finished == len(names) and not lost and not errors and limits_held else 1


if __name__ == "__main__":
    sys.exit(main())
