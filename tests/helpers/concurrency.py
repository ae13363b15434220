"""Many at once: the same action from several threads, released together, as a class's clicks arrive."""

from __future__ import annotations

import threading
from typing import Callable


def all_at_once(count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run ``work(i)`` for i in range(``count``), each in its own thread, all released by one barrier; wait for all
    of them. Returns what they raised (empty when nothing did), so that a failure in a thread fails the test."""
    start, raised = threading.Barrier(count), []

    def one(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as exc:  # noqa: BLE001 - handed back for the test's assertion
            raised.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return raised
