"""The settings that matter on a GPU (precision, XLA, the GPU batch preset) reach the model, and runs say how they trained."""

import keras
import pandas as pd
import pytest

from lib.jobs.folder.describe import progress_line, trained_with
from lib.jobs.folder.store import RunStore
from lib.tasks import config_for
from lib.training.config import ConfigError
from lib.training.context import TaskContext
from lib.jobs.job import run_job
from tests.lib.training.conftest import tiny_config


@pytest.fixture(autouse=True)
def _float32_afterwards():
    yield
    keras.mixed_precision.set_global_policy("float32")  # the job sets it process-wide; other tests expect float32


def test_mixed_precision_and_no_xla_reach_the_trained_model(demo_root, runs_dir):
    store = RunStore(runs_dir)
    run_dir = store.create(tiny_config("lung2d", demo_root, precision="mixed_bfloat16", jit_compile="off"), owner="alice")
    status = run_job(run_dir, echo=lambda line: None, poll_s=0.05)
    assert status["state"] == "done", status.get("error")
    run = store.load(run_dir.name)
    model = keras.models.load_model(run.model_path())
    convolutions = [layer for layer in model.layers if "conv" in layer.name and layer.name != "mask"]
    assert convolutions and {layer.dtype_policy.name for layer in convolutions} == {"mixed_bfloat16"}
    assert model.get_layer("mask").dtype_policy.name == "float32"  # probabilities stay in full precision
    assert run.predictions()["probs"].dtype.kind in "uf"
    assert "mixed_bfloat16 · XLA off" in trained_with(run.config, run.status, run.history)


def test_a_float32_run_after_a_mixed_one_is_float32_again(demo_root, runs_dir):
    store = RunStore(runs_dir)
    keras.mixed_precision.set_global_policy("mixed_float16")  # as a previous job in the same process would leave it
    run_dir = store.create(tiny_config("dr", demo_root), owner="alice")
    assert run_job(run_dir, echo=lambda line: None, poll_s=0.05)["state"] == "done"
    model = keras.models.load_model(store.load(run_dir.name).model_path())
    assert {layer.dtype_policy.name for layer in model.layers if layer.weights} == {"float32"}


@pytest.mark.parametrize("choice, expected", [("auto", "auto"), ("on", True), ("off", False)])
def test_jit_compile_choice_becomes_the_compile_argument(choice, expected, demo_root, tmp_path):
    ctx = TaskContext(run_dir=tmp_path, config=tiny_config("lung2d", demo_root, jit_compile=choice))
    assert ctx.compile_options == {"jit_compile": expected}


def test_speed_settings_are_checked_by_name(demo_root):
    with pytest.raises(ConfigError, match="lung2d.precision must be one of float32, mixed_float16, mixed_bfloat16, got 'half'"):
        tiny_config("lung2d", demo_root, precision="half")
    with pytest.raises(ConfigError, match="jit_compile must be one of auto, on, off"):
        tiny_config("dr", demo_root, jit_compile="yes please")


def test_the_gpu_preset_is_the_course_with_a_larger_batch(demo_root):
    course = config_for("dr", preset="course", data=str(demo_root / "eyepacs"))
    gpu = config_for("dr", preset="course_gpu", data=str(demo_root / "eyepacs"))
    assert course["batch_size"] == 10 and gpu["batch_size"] == 64
    assert {k: v for k, v in gpu.items() if k not in ("batch_size", "preset")} == \
           {k: v for k, v in course.items() if k not in ("batch_size", "preset")}
    with pytest.raises(ConfigError, match="preset must be one of course, quick, got 'course_gpu'"):
        config_for("lung2d", preset="course_gpu", data=str(demo_root / "lungs"))


def test_a_run_says_where_it_trained_and_what_the_gpu_held():
    config = {"versions": {"keras": "3.15.1", "backend": "jax", "jax": "0.10.2", "devices": ["cuda:0"]},
              "precision": "mixed_bfloat16", "jit_compile": "on"}
    history = pd.DataFrame({"epoch": [1, 2], "images_per_s": [900.0, 1370.4]})
    assert trained_with(config, {"device_memory_peak_mb": 2150.4}, history) == \
        "Keras 3.15.1 on jax 0.10.2 · cuda:0 · mixed_bfloat16 · XLA on · 1,370 images/s · peak GPU memory 2.1 GB"
    _, line = progress_line({"state": "running"}, {"phase": "training", "epoch": 0, "epochs": 3, "step": 2, "steps": 9,
                                                   "images_per_s": 512.0, "device_memory_mb": 3072.0})
    assert "512 images/s" in line and "GPU memory 3.0 GB" in line
    _, line = progress_line({"state": "running"}, {"phase": "training", "epoch": 0, "epochs": 3, "step": 2, "steps": 9,
                                                   "device_memory_mb": None})
    assert "GPU" not in line
