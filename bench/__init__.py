"""Benchmark scripts; each prints its figures. A timing means nothing without the CPU it ran on: :func:`cpu_line`."""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path


def cpu_line() -> str:
    """The CPU's model, the cores this process may use, and whether it has AVX-512 (else AVX2), from /proc/cpuinfo."""
    model, flags = "", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = line
    except OSError:
        pass
    model = model or platform.processor() or "unknown CPU"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    isa = "AVX-512" if " avx512f" in flags else "no AVX-512" + (" (AVX2)" if " avx2" in flags else "")
    return f"{model}, {cores} cores, {isa}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for the app server a bench starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_home(page, port: int, *, timeout_s: float = 120.0) -> None:
    """Open the app's Home in a playwright ``page`` as soon as the server at ``port`` listens, and wait for its title."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
            break
        except Exception:  # noqa: BLE001 - not listening yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    page.get_by_text("Deep learning in medical imaging").first.wait_for(timeout=timeout_s * 1000)
