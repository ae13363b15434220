"""Polling for something another process does (a worker writing its run folder)."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 120.0, step: float = 0.1):
    """The first truthy value of ``predicate()``, polled every ``step`` seconds; AssertionError after ``timeout``."""
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {predicate}")
