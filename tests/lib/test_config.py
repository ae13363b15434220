from pathlib import Path

import pytest

from lib import config


def test_demo_is_the_fallback(tmp_path):
    env = {"DLMI_DATA_DIR": str(tmp_path)}
    location = config.locate("dr", env)
    assert location.is_demo and location.path == tmp_path / "demo" / "eyepacs"


def test_real_folder_then_env_win(tmp_path):
    env = {"DLMI_DATA_DIR": str(tmp_path)}
    (tmp_path / "lungs").mkdir()
    assert config.locate("lung", env) == config.DataLocation("lung", tmp_path / "lungs", "real")
    env["DLMI_LUNG_DATA"] = "/elsewhere"
    assert config.locate("lung", env) == config.DataLocation("lung", Path("/elsewhere"), "env")
    with pytest.raises(ValueError, match="kind"):
        config.locate("ct", env)


def test_cache_and_runs_dirs(tmp_path):
    env = {"DLMI_DATA_DIR": str(tmp_path)}
    assert config.cache_dir(env) == tmp_path / "cache"
    assert config.runs_dir({"DLMI_RUNS_DIR": "/r"}) == Path("/r")
