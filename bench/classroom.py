"""Benchmark: a lecture hall on one server (or several). N students sign in, click through a task page and watch a run.

    python bench/classroom.py --students 100 --tiny --max-jobs 2 [--think 3] [--clients 4] [--timeout 3600]
    python bench/classroom.py --replicas 2 --students 100 --tiny --max-jobs 2 [--tabs 2]
    python bench/classroom.py --small                   # the suite's smoke test: 2 students
    python bench/classroom.py --poll [--students 30] [--within 10]

Starts the app (``streamlit run server.py``) with a class roster of N students (``roster`` sign-in) and a DR run the
lecturer has published, then simulates each student over Streamlit's own websocket protocol, as a browser tab would
speak it. Students arrive a fraction of a second apart (``--spacing``), as a class does; each opens a session, signs
in with the form and opens Lung 2D. Once every student is there (idle), the server's memory is read: memory per idle
session is (server RSS with N idle sessions - RSS with none, after one tab warmed every page) / N. Then each student,
a click every ``--think`` seconds on average (0.5-1.5 times it): moves three controls (epochs, batches per epoch, time
budget; one click each), presses Start, opens the DR page and drags the ROC's operating point three times (the
component's value set as the browser sets it on release: ``{"threshold": [a vertex's threshold, release counter]}``;
the page must then show that threshold), goes back to Lung 2D and follows the run's live panel (its fragment re-runs
every few seconds, as the page asks) until the run ends. A click's latency runs from sending it to the end of the
script run it caused (the page rendered). The students are spread over ``--clients`` processes, each one asyncio
loop (default one per 25 students), so that the client is not the bottleneck; its CPU is printed.

Prints the server's CPU (share of one core) and peak memory (the Streamlit process alone; jobs run in their own
processes), clicks answered and the p50 / p95 / max click-to-render latency (and by kind of click), memory per idle
session, the client's CPU, each student's queue wait (from submitting to training), runs finished, runs lost (a
student whose run was never created or did not end in a final state), and pages that errored (an exception or an
error box in any student's page, a drag the page did not apply, a click not answered, or a dropped connection). The
last line is one JSON object.

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
import math
import multiprocessing
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
        self.index = 0  # the student's place in the class (spreads the vertices dragged)
        self.think_s = 3.0  # mean seconds between two clicks
        self.idle = None  # (shared counter, go event): the student reports idle on Lung 2D and waits for the class
        self.counted_idle = False
        self.latencies: list[tuple[str, float]] = []  # (kind of click, seconds from sending it to its page rendered)
        self.clicks_sent = 0
        self.clicks_answered = 0
        self.roc: tuple[str, dict] | None = None  # the ROC component's (widget id, data) in the last run
        self.run_ids: list[str] = []  # the student's runs, once found (then only their folders are read)

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
        elif kind == "bidi_component" and element.bidi_component.component_name.endswith("roc_operating_point"):
            self.roc = (element.bidi_component.id, json.loads(element.bidi_component.json or "{}"))
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

    async def _click(self, ws, kind: str, *, widget_states=(), timeout: float = 300.0) -> None:
        """Send a click (a widget's new value, or a page opened) and read until its page is rendered; times it."""
        self.clicks_sent += 1
        sent = time.monotonic()
        await self._send(ws, widget_states=widget_states)
        try:
            await self._receive_run(ws, timeout=timeout)
        except asyncio.TimeoutError:
            raise RuntimeError(f"{self.name}: a click ({kind}) was not answered within {timeout:.0f} s") from None
        self.latencies.append((kind, time.monotonic() - sent))
        self.clicks_answered += 1

    async def _think(self) -> None:
        """A student's pause between two clicks: a few seconds, different for each student and click."""
        if self.think_s > 0:
            await asyncio.sleep(self._random.uniform(0.5 * self.think_s, 1.5 * self.think_s))

    @property
    def _random(self):
        import random

        if not hasattr(self, "_rng"):
            self._rng = random.Random(self.name)
        return self._rng

    async def _sign_in_and_open(self, ws) -> list:
        """Open the app, sign in, open Lung 2D (each a timed click); returns the tiny settings' widget states, one
        control each, that the student moves before Start."""
        await self._send(ws)  # the tab opens the address: not a click
        await self._receive_run(ws)
        for attempt in range(3):  # a click can be lost to a rerun the server started meanwhile: click again
            name, password, submit = self._widget("User name"), self._widget("Password"), self._widget("Sign in")
            name.string_value, password.string_value, submit.trigger_value = self.name, PASSWORD, True
            await self._click(ws, "sign in", widget_states=[name, password, submit])
            if any(f"Signed in as **{self.name}**" in t for t in self.texts) or self.errors:
                break
            self.repeated += 1
        if not any(f"Signed in as **{self.name}**" in t for t in self.texts):
            raise RuntimeError(f"{self.name}: the sign-in did not take ({self.texts[-3:]})")
        self.page_hash = self.pages["Lung 2D"]
        await self._click(ws, "open page")
        states = []
        for label, value in (("Epochs", 1), ("Batches per epoch (0: one pass over the training set)", 2),
                             ("Time budget in seconds (0: none)", 0.0)):
            state, proto = self._widget(label), self.widgets[label][1]
            if not self.tiny:  # the quick preset as it is: the student moves the control and back
                value = proto.default
            if proto.data_type == proto.INT:
                state.int_value = int(value)
            else:
                state.double_value = float(value)
            states.append(state)
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

    async def _report_idle(self) -> None:
        """Signed in and on Lung 2D: count as an idle session, and wait until the whole class is (memory measured)."""
        if self.idle is None:
            return
        counter, go = self.idle
        if not self.counted_idle:
            self.counted_idle = True
            with counter.get_lock():
                counter.value += 1
        while not go.is_set():
            await asyncio.sleep(0.25)

    async def _drag_operating_point(self, ws) -> None:
        """Open the DR page and drag the ROC's handle three times: the component's value set as the browser sets it
        on release ({"threshold": [vertex's threshold, release counter]}); the page must then show that threshold."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.roc = None
        self.page_hash = self.pages["DR referral"]
        await self._click(ws, "open page")
        if self.roc is None:
            raise RuntimeError(f"{self.name}: no ROC on the DR page ({self.texts[-3:]})")
        roc_id, payload = self.roc
        thresholds = [t for t in payload["thr"] if 0.0 <= t <= 1.0]
        for release in (1, 2, 3):
            await self._think()
            target = thresholds[(len(thresholds) * release // 4 + self.index) % len(thresholds)]
            state = WidgetState()
            state.id, state.json_value = roc_id, json.dumps({"threshold": [target, release]})
            await self._click(ws, "drag", widget_states=[state])
            shown = self.roc[1].get("threshold") if self.roc else None
            if shown is None or abs(float(shown) - target) > 1e-9:
                self.errors.append(f"the drag to {target} was not applied (the page shows {shown})")

    async def attend(self) -> None:
        import websockets

        if self.extra_ports:
            await self._attend_with_tabs()
            return
        async with websockets.connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                      max_size=2**26, open_timeout=120, ping_interval=None) as ws:
            states = await self._sign_in_and_open(ws)
            await self._report_idle()
            await self._think()
            for k in range(len(states)):  # move three controls, one click each (a browser sends every value it has)
                await self._click(ws, "control", widget_states=states[:k + 1])
                await self._think()
            for attempt in range(3):
                start = self._widget("Start training")
                start.trigger_value = True
                await self._click(ws, "start", widget_states=states + [start])
                if self._my_runs() or self.errors:
                    break
                self.repeated += 1
            self.started = True
            if self.fragment is None:
                raise RuntimeError(f"{self.name}: no live panel after Start ({self.texts[-3:]})")
            await self._think()
            await self._drag_operating_point(ws)  # while the run waits or trains
            await self._think()
            self.fragment = None
            self.page_hash = self.pages["Lung 2D"]
            await self._click(ws, "open page")  # back to the live panel
            # watch: re-run the live panel as often as the page asks (a browser does the same) until the run ends,
            # then the whole page once, as the panel itself asks then
            while not self._run_ended():
                if self.fragment is None:  # no panel shown (yet): look again at the whole page, as a reload would
                    await asyncio.sleep(3.0)
                    await self._send(ws)
                    await self._receive_run(ws)
                    continue
                fragment_id, interval = self.fragment
                await asyncio.sleep(interval)
                await self._send(ws, fragment_id=fragment_id)
                await self._receive_run(ws)
            await self._send(ws)
            await self._receive_run(ws)

    async def _attend_with_tabs(self) -> None:
        """Several tabs press Start at the same moment; the class allows one run: exactly one may start."""
        tabs = [await self._open_tab(port) for port in (self.port, *self.extra_ports)]
        await self._report_idle()
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
                self.latencies += tab.latencies
                self.clicks_sent += tab.clicks_sent
                self.clicks_answered += tab.clicks_answered
                await tab.ws.close()

    def _my_runs(self) -> list:
        """The student's runs: found once in a listing, then read from their own folders only (a hundred students
        listing the whole runs folder every few seconds would make the bench client the bottleneck)."""
        if self.run_ids and not self.extra_ports:
            mine = []
            for run_id in self.run_ids:
                try:
                    mine.append(self.store.load(run_id).summary)
                except Exception:  # noqa: BLE001 - a folder being written: list it again
                    self.run_ids = []
                    return self._my_runs()
            return mine
        mine = [r for r in self.store.list(viewer=f"user:{self.name}")[0] if r.owner == f"user:{self.name}"]
        self.run_ids = [r.run_id for r in mine]
        return mine

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


async def _class(students: list[Student], start_at: float, spacing_s: float) -> None:
    async def one(student: Student):
        await asyncio.sleep(max(0.0, start_at + student.index * spacing_s - time.time()))
        try:
            await student.attend()
        except Exception as exc:  # noqa: BLE001 - one student's failure is a page error, not the bench's end
            student.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        finally:
            if student.idle is not None and not student.counted_idle:  # never got there: do not keep the class waiting
                student.counted_idle = True
                with student.idle[0].get_lock():
                    student.idle[0].value += 1

    await asyncio.gather(*(one(s) for s in students))


def _client(plan: dict, idle, go, results) -> None:
    """One client process: its share of the class, each student on its own websocket, in one asyncio loop. Puts the
    students' figures and the process's own CPU seconds on ``results``."""
    from lib.jobs.folder.store import RunStore

    store = RunStore(plan["runs"])
    students = []
    for index, name, port, others in plan["students"]:
        student = Student(name, port, plan["tiny"], store, extra_ports=tuple(others))
        student.index, student.think_s, student.idle = index, plan["think_s"], (idle, go)
        students.append(student)
    timed_out = False
    try:
        asyncio.run(asyncio.wait_for(_class(students, plan["start_at"], plan["spacing_s"]), timeout=plan["timeout_s"]))
    except asyncio.TimeoutError:
        timed_out = True
    cpu = os.times()
    results.put({"cpu_s": cpu.user + cpu.system, "timed_out": timed_out, "students": [
        {"name": s.name, "errors": s.errors, "latencies": s.latencies, "sent": s.clicks_sent,
         "answered": s.clicks_answered, "repeated": s.repeated, "refused": s.refused} for s in students]})


def _percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile (q in [0, 1]) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def _warm(port: int) -> None:
    """One tab signs in and opens Lung 2D and DR, then leaves: the server has imported and cached what every page
    needs, so that the memory measured next is the sessions' own."""
    import websockets

    student = Student("lecturer", port, True, None)
    student.think_s = 0.0
    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=2**26, open_timeout=120, ping_interval=None) as ws:
        await student._sign_in_and_open(ws)
        await student._drag_operating_point(ws)


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


def _rss_mb(procs) -> float:
    """The app servers' resident memory together (MB): the median of three readings a second apart."""
    readings = []
    for _ in range(3):
        try:
            readings.append(sum(proc.memory_info().rss for proc in procs) / 2**20)
        except psutil.Error:
            pass
        time.sleep(1.0)
    return statistics.median(readings) if readings else 0.0


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
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds between two clicks of a student")
    parser.add_argument("--clients", type=int, default=0,
                        help="client processes (each an asyncio loop; 0: one per 25 students)")
    parser.add_argument("--small", action="store_true",
                        help="the smoke test: 2 students, tiny runs, 0.5 s between clicks")
    args = parser.parse_args()
    if args.small:
        args.students, args.tiny, args.think, args.spacing = 2, True, 0.5, 0.2
    if args.poll:
        return poll_main(args)

    from lib.access.identity import hash_password
    from lib.access.policy import ClassSettings, save_class
    from lib.jobs.folder.store import RunStore
    from lib.tasks import write_demo

    from tests.helpers.runs import make_dr_run  # a finished DR run with synthetic scores, as the tests make one

    limit = 1 if args.tabs > 1 else 2
    clients = args.clients or max(1, math.ceil(args.students / 25))
    print(f"CPU: {cpu_line()}; {args.students} students, {'tiny runs' if args.tiny else 'quick preset'}, "
          f"DLMI_MAX_JOBS={args.max_jobs}, {args.replicas} app server(s), {args.tabs} tab(s) each, "
          f"limit {limit} run(s) per student, a click every {args.think:g} s on average, {clients} client process(es)",
          flush=True)
    work = Path(tempfile.mkdtemp(prefix="dlmi-classroom-"))
    write_demo(work / "data" / "demo", ["lungs", "eyepacs"], small=args.tiny)
    names = [f"student{i + 1:02d}" for i in range(args.students)]
    hashed = hash_password(PASSWORD)  # one hash for all: the bench measures the class, not scrypt thirty times
    save_class(ClassSettings(auth="roster", lecturers=("lecturer",), users={n: hashed for n in [*names, "lecturer"]},
                             max_active_runs=limit), work / "class.json")
    # the lecturer's published DR run: the operating point every student drags
    store = RunStore(work / "runs")
    store.publish(make_dr_run(store, work / "data" / "demo" / "eyepacs", owner="user:lecturer").name, by="lecturer")
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
    memory = {"idle_mb": 0.0, "with_0_mb": 0.0, "idle_sessions": 0}
    reports: list[dict] = []
    try:
        for port in ports:  # every server answers, and has loaded what the pages need
            _wait_listening(port)
            asyncio.run(asyncio.wait_for(_warm(port), timeout=300))
        sampler.start()
        watcher.start()
        time.sleep(2.0)
        memory["with_0_mb"] = _rss_mb(procs)
        cpu_before, wall_before = sum(sum(proc.cpu_times()[:2]) for proc in procs), time.monotonic()
        context = multiprocessing.get_context("spawn")
        idle, go, results = context.Value("i", 0), context.Event(), context.Queue()
        plans = [{"runs": str(work / "runs"), "tiny": args.tiny, "think_s": args.think, "spacing_s": args.spacing,
                  "start_at": time.time() + 3.0 + 0.2 * clients, "timeout_s": args.timeout, "students": []}
                 for _ in range(clients)]
        for i, n in enumerate(names):
            home = ports[i % len(ports)]
            others = [ports[(i + k) % len(ports)] for k in range(1, args.tabs)]
            plans[i % clients]["students"].append((i, n, home, others))
        children = [context.Process(target=_client, args=(plan, idle, go, results), daemon=True) for plan in plans]
        for child in children:
            child.start()
        # every student signed in and on Lung 2D, nothing started yet: the memory of N idle sessions
        deadline = time.monotonic() + args.timeout
        while idle.value < len(names) and time.monotonic() < deadline and any(c.is_alive() for c in children):
            time.sleep(0.5)
        time.sleep(3.0)
        memory.update(idle_mb=_rss_mb(procs), idle_sessions=idle.value)
        go.set()
        while len(reports) < len(children) and time.monotonic() < deadline + 60:
            try:
                reports.append(results.get(timeout=5))
            except Exception:  # noqa: BLE001 - queue.Empty: a client still working (or dead)
                if not any(c.is_alive() for c in children):
                    break
        if any(r["timed_out"] for r in reports):
            print(f"gave up after {args.timeout:.0f} s", flush=True)
        for child in children:
            child.join(timeout=30)
        wall = time.monotonic() - wall_before
        cpu_share = (sum(sum(proc.cpu_times()[:2]) for proc in procs) - cpu_before) / wall
        client_cpu_share = (sum(r["cpu_s"] for r in reports) + sum(os.times()[:2])) / wall
    finally:
        stop.set()
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    (work / "clients.json").write_text(json.dumps(reports))  # the raw figures, kept should the summary fail
    students = [s for r in reports for s in r["students"]]
    lost_clients = len(children) - len(reports)
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
        never = [r for r in mine if "started" not in r.status]  # stopped while waiting: it never trained
        if never:
            lost.append(f"{name}: {never[0].state} before it started ({never[0].status.get('stop_reason', '?')})")
            continue
        finished += 1
        for run in mine:
            waits.append(float(run.status["started"]) - float(run.status["submitted"]))
    errors = [f"{s['name']}: {e}" for s in students for e in s["errors"]]
    errors += [f"a client process ended without its report ({lost_clients})"] if lost_clients else []
    latencies = [seconds for s in students for _, seconds in s["latencies"]]
    by_kind: dict[str, list[float]] = {}
    for s in students:
        for kind, seconds in s["latencies"]:
            by_kind.setdefault(kind, []).append(seconds)
    sent, answered = sum(s["sent"] for s in students), sum(s["answered"] for s in students)
    p50, p95 = _percentile(latencies, 0.50), _percentile(latencies, 0.95)
    session_mb = ((memory["idle_mb"] - memory["with_0_mb"]) / memory["idle_sessions"]
                  if memory["idle_sessions"] else None)
    most_active = max(seen["active"].values(), default=0)
    limits_held = seen["training"] <= args.max_jobs and most_active <= limit
    print(f"servers: {cpu_share * 100:.0f} % of one core on average over {wall:.0f} s; peak memory {peak_mb[0]:.0f} MB "
          f"(all {args.replicas} together)")
    print(f"worker processes: at most {workers['most']} at once, {workers['peak_mb']:.0f} MB together at the peak; a "
          f"waiting one at most {workers['waiting_mb_max']:.0f} MB")
    kinds = ", ".join(f"{kind} {_percentile(v, 0.5):.2f} / {_percentile(v, 0.95):.2f} s ({len(v)})"
                      for kind, v in by_kind.items())
    print(f"clicks answered {answered} of {sent}; click to rendered page: p50 {p50 or 0:.2f} s, p95 {p95 or 0:.2f} s, "
          f"max {max(latencies, default=0):.2f} s; by kind (p50 / p95): {kinds}")
    print(f"memory: {memory['with_0_mb']:.0f} MB with no session, {memory['idle_mb']:.0f} MB with "
          f"{memory['idle_sessions']} idle sessions (signed in, on Lung 2D): {session_mb or 0:.2f} MB per session; "
          f"client: {client_cpu_share * 100:.0f} % of one core on average ({clients} process(es))")
    if waits:
        print(f"queue wait per student: min {min(waits):.0f} s, median {statistics.median(waits):.0f} s, "
              f"max {max(waits):.0f} s")
    print(f"runs finished {finished} of {len(names)}; lost {len(lost)}; pages that errored {len(errors)}; "
          f"unreadable run folders {len(problems)}; clicks sent again (lost to a rerun) "
          f"{sum(s['repeated'] for s in students)}; Starts refused by the limit {sum(s['refused'] for s in students)}")
    print(f"most runs training at once {seen['training']} (DLMI_MAX_JOBS {args.max_jobs}); a student's most runs waiting "
          f"or training at once {most_active} (limit {limit}): limits {'held' if limits_held else 'BROKEN'}")
    for line in (lost + errors)[:20]:
        print(f"  {line}")
    print(json.dumps({"students": len(names), "replicas": args.replicas, "tabs": args.tabs, "finished": finished,
                      "lost": len(lost), "errors": len(errors), "most_training": seen["training"],
                      "most_active_per_student": most_active, "limit": limit, "limits_held": limits_held,
                      "refused_starts": sum(s["refused"] for s in students),
                      "server_peak_mb": round(peak_mb[0], 1), "server_cpu_share": round(cpu_share, 3),
                      "wait_s_min": round(min(waits), 1) if waits else None,
                      "wait_s_median": round(statistics.median(waits), 1) if waits else None,
                      "wait_s_max": round(max(waits), 1) if waits else None, "wall_s": round(wall, 1),
                      "clicks_repeated": sum(s["repeated"] for s in students), "tiny": args.tiny,
                      "max_jobs": args.max_jobs, "workers_most": workers["most"],
                      "workers_peak_mb": round(workers["peak_mb"], 1),
                      "waiting_worker_mb_max": round(workers["waiting_mb_max"], 1), "clicks": sent,
                      "clicks_answered": answered, "click_p50_s": round(p50, 3) if p50 is not None else None,
                      "click_p95_s": round(p95, 3) if p95 is not None else None,
                      "click_max_s": round(max(latencies), 3) if latencies else None,
                      "session_mb": round(session_mb, 2) if session_mb is not None else None,
                      "server_mb_idle_sessions": round(memory["idle_mb"], 1),
                      "server_mb_no_session": round(memory["with_0_mb"], 1), "think_s": args.think,
                      "client_processes": clients, "client_cpu_share": round(client_cpu_share, 3),
                      "cpu": cpu_line()}))
    ok = finished == len(names) and not lost and not errors and limits_held and answered == sent
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
