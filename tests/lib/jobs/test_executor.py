import pytest

from lib.jobs.folder.store import RunStore
from lib import tasks
from lib.tasks import config_for
from lib.jobs.executor import start_run, start_sweep
from lib.training.config import ConfigError


class Recorder:
    def __init__(self):
        self.submitted = []

    def submit(self, run_dir):
        self.submitted.append(run_dir)


def test_one_run_per_fraction_all_else_equal(tmp_path):
    store, executor = RunStore(tmp_path), Recorder()
    config = config_for("lung3d", data="/d", epochs=3)
    run_dirs = start_sweep(store, config, tasks.get("lung3d"), setting="label_fraction", values=[1.0, 0.05, 0.3, 0.1, 0.3],
                           owner="alice", executor=executor, name="exp 1")
    assert run_dirs == executor.submitted and len(run_dirs) == 4
    configs = [store.load(d.name).config for d in run_dirs]
    assert [c["label_fraction"] for c in configs] == [0.05, 0.1, 0.3, 1.0]
    assert {c["experiment"] for c in configs} == {"exp 1"} and {c["epochs"] for c in configs} == {3}
    assert all(store.load(d.name).summary.owner == "alice" for d in run_dirs)
    with pytest.raises(ValueError, match="label_fraction"):
        start_sweep(store, config_for("dr", data="/d"), tasks.get("dr"), setting="label_fraction", values=[0.1], owner="a",
                    executor=executor, name="x")


def test_start_run_validates_before_creating_anything(tmp_path):
    executor = Recorder()
    with pytest.raises(ConfigError, match="epochs"):
        start_run(RunStore(tmp_path), {**config_for("dr", data="/d"), "epochs": -1}, tasks.get("dr"), owner="a",
                  executor=executor)
    assert executor.submitted == [] and not any(tmp_path.iterdir())
