"""A page run lists the runs folder once (one snapshot, handed to every part of the page), and a read never writes:
a viewer whose runs folder refuses every write loads every page, and another user's stuck run is shown failed
without its folder being touched."""

import builtins
import io
import json
import os
import time

import pytest

from lib.jobs.folder import files
from lib.jobs.folder.store import RunStore
from tests.helpers.runs import make_lung2d_run
from tests.pages.conftest import open_page
from tests.lib.training.conftest import tiny_config


@pytest.mark.parametrize("page", ["pages/lung2d.py", "pages/lung3d.py"])
def test_a_page_run_lists_the_runs_folder_once(app_env, demo_root, page):
    make_lung2d_run(RunStore(app_env / "runs"), demo_root / "lungs")
    at = open_page(page, timeout=120)
    from ui.runs import run_store

    store = run_store()  # the server's one store (st.cache_resource), which the page used
    before = store.listings
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert store.listings - before == 1


def test_a_viewer_whose_runs_folder_refuses_writes_loads_every_page(app_env, demo_root, monkeypatch):
    runs = app_env / "runs"
    store = RunStore(runs)
    make_lung2d_run(store, demo_root / "lungs")
    stuck = store.create(tiny_config("lung2d", demo_root), owner="someone-else")  # never started, long ago
    status = json.loads((stuck / files.STATUS).read_text())
    (stuck / files.STATUS).write_text(json.dumps({**status, "submitted": time.time() - 3600}))
    before = (stuck / files.STATUS).read_bytes()
    attempts = []

    def guarded(real, writes):
        def call(path, *args, **kwargs):
            if writes(args, kwargs) and str(os.fspath(path)).startswith(str(runs)):
                attempts.append((real.__name__, str(path)))
                raise PermissionError(13, "read-only runs folder", str(path))
            return real(path, *args, **kwargs)
        return call

    def opened_for_writing(args, kwargs):
        mode = args[0] if args else kwargs.get("mode", "r")
        return isinstance(mode, str) and any(c in mode for c in "wax+")

    flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    monkeypatch.setattr(builtins, "open", guarded(builtins.open, opened_for_writing))
    monkeypatch.setattr(io, "open", guarded(io.open, opened_for_writing))
    monkeypatch.setattr(os, "open", guarded(os.open, lambda a, k: bool((a[0] if a else k.get("flags", 0)) & flags)))
    for name in ("mkdir", "rename", "replace", "unlink", "rmdir", "utime"):
        monkeypatch.setattr(os, name, guarded(getattr(os, name), lambda a, k: True))
    for page in ("pages/home.py", "pages/dr.py", "pages/lung2d.py", "pages/lung3d.py"):
        at = open_page(page, timeout=120)
        assert not at.exception, (page, [e.value for e in at.exception])
    assert attempts == []
    assert (stuck / files.STATUS).read_bytes() == before  # shown failed, never written by a reader
    assert RunStore(runs).load(stuck.name).summary.state == "failed"
