from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def short_tmp():
    """A folder with a short path under /tmp: Ray's socket paths must fit 107 bytes, which pytest's temporary folders
    (deeper still under pytest-xdist's workers) do not."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="dlmi-", dir="/tmp")
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
