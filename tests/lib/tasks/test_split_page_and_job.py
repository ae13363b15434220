"""The split a page shows is the split the job trains on: both go through the task's ``prepare``."""

import json
from pathlib import Path

import numpy as np
import pytest

from lib import tasks
from lib.data.eyepacs import read_eyepacs
from lib.data.ct_slices import read_lung2d
from lib.jobs.folder import files
from lib.jobs.folder.store import RunStore
from lib.jobs.job import run_job
from tests.lib.training.conftest import tiny_config

SPLITS = ("train", "val", "test")


def _job_split(runs_dir, config) -> dict:
    store = RunStore(runs_dir)
    run_dir = store.create(config, owner="alice")
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "done", status.get("error")
    return json.loads((run_dir / files.SPLIT).read_text())


def test_dr_page_and_job_split_the_same_photos_when_one_cannot_be_read(eyepacs_copy, runs_dir, tmp_path):
    import ui.dr

    import cv2

    from lib.tasks.dr import sample

    config = tiny_config("dr", eyepacs_copy.parent, data=str(eyepacs_copy))
    photo = Path(sample(read_eyepacs(eyepacs_copy), config).frame["path"].iloc[0])
    # the photo becomes a PNG whose header is fine (the reader keeps it) but whose pixel data fails its
    # checksum: only decoding, in preprocessing, finds out
    encoded = bytearray(cv2.imencode(".png", cv2.imread(str(photo)))[1].tobytes())
    start = encoded.index(b"IDAT") + 20
    encoded[start:start + 40] = bytes(b ^ 0xFF for b in encoded[start:start + 40])
    photo.unlink()
    broken = str(photo.with_suffix(".png"))
    Path(broken).write_bytes(bytes(encoded))
    report = read_eyepacs(eyepacs_copy)
    assert broken in [str(p.path) for p in report.items]

    page = ui.dr._prepared(config["data"], config["n_per_class"], config["seed"], config["image_size"], config["crop"],
                           str(tmp_path / "page-cache"), (report.n_items, 0), report)
    assert [p.file for p in page.problems] == [broken]
    job = _job_split(runs_dir, config)
    for split in SPLITS:
        assert page.ids(split) == job[split], split
    broken_id = broken.rsplit("/", 1)[1].split(".")[0]
    assert all(broken_id not in job[s] for s in SPLITS)
    assert sum(len(job[s]) for s in SPLITS) == 2 * config["n_per_class"] - 1


def test_lung2d_page_and_job_split_the_same_slices_when_one_fails_to_load(lungs_copy, runs_dir):
    import ui.lung2d

    config = tiny_config("lung2d", lungs_copy.parent, data=str(lungs_copy))
    report = read_lung2d(lungs_copy)  # read while every slice was fine (the page caches it)
    victim = report.items[5]
    victim.image_path.write_bytes(b"not a tiff any more")

    page = ui.lung2d._prepared(config["data"], config["image_size"], config["seed"], config["normalise"], (0, 0), report)
    assert victim.name not in page.arrays.names and len(page.arrays.names) == len(report.items) - 1
    job = _job_split(runs_dir, config)
    for split in SPLITS:
        assert page.ids(split) == job[split], split


def test_lung3d_split_names_the_volumes_in_their_roles(demo_root, runs_dir):
    config = tiny_config("lung3d", demo_root)
    job = _job_split(runs_dir, config)
    prepared = tasks.get("lung3d").prepare(config)
    assert job == {"train": ["0002", "0031"], "val": ["0059"], "test": ["0078"]}
    assert {s: prepared.ids(s) for s in SPLITS} == job
    np.testing.assert_array_equal(prepared.train_labels[0], tasks.get("lung3d").prepare(config).train_labels[0])


@pytest.mark.parametrize("name", tasks.names())
def test_every_task_is_complete(name):
    task = tasks.get(name)
    assert task.name == name and task.title and task.headline
    assert {"data", "seed", "epochs", "batch_size", "learning_rate"} <= set(task.fields)
    assert set(task.label_settings) <= set(task.fields)
    for preset in task.presets.values():
        assert set(preset) | {"data"} == set(task.fields), f"{name}: a preset must set every setting"
