from pathlib import Path

from lib import paths
from lib.data.datasets import EYEPACS, LUNGS


def test_demo_is_the_fallback(tmp_path):
    env = {"DLMI_DATA_DIR": str(tmp_path)}
    location = paths.locate(EYEPACS, env)
    assert location.is_demo and location.path == tmp_path / "demo" / "eyepacs"


def test_real_folder_then_env_win(tmp_path):
    env = {"DLMI_DATA_DIR": str(tmp_path)}
    (tmp_path / "lungs").mkdir()
    assert paths.locate(LUNGS, env) == paths.DataLocation("lungs", tmp_path / "lungs", "real")
    env["DLMI_LUNG_DATA"] = "/elsewhere"
    assert paths.locate(LUNGS, env) == paths.DataLocation("lungs", Path("/elsewhere"), "env")


def test_cache_and_runs_dirs(tmp_path):
    env = {"DLMI_DATA_DIR": str(tmp_path)}
    assert paths.cache_dir(env) == tmp_path / "cache"
    assert paths.runs_dir({"DLMI_RUNS_DIR": "/r"}) == Path("/r")
