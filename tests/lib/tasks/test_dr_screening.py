"""A DR run keeps its validation scores (a temperature is fitted on them) and its model scores another site's photos
exactly as the run scored its own."""

import numpy as np
import pytest

from lib.data import read_eyepacs
from lib.data.scores import parse_scores
from lib.jobs.folder.store import RunStore
from lib.jobs.job import run_job
from lib.metrics.calibration import fit_temperature
from lib.demo.fundus import other_site
from lib.tasks.dr import score_photos, score_photos_csv
from tests.lib.training.conftest import tiny_config


@pytest.fixture(scope="module")
def dr_run(demo_root, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    store = RunStore(runs)
    run_dir = store.create(tiny_config("dr", demo_root), owner="alice")
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "done", status.get("error")
    return store.load(run_dir.name)


def test_a_run_saves_its_validation_scores_beside_the_test_scores(dr_run):
    predictions = dr_run.predictions()
    assert predictions["val_scores"].shape == predictions["val_labels"].shape == predictions["val_images"].shape
    assert predictions["val_scores"].size == dr_run.metrics["n_val"]
    assert not set(predictions["val_images"]) & set(predictions["images"])  # validation and test photos differ
    assert set(predictions["val_labels"].tolist()) == {0, 1}
    assert np.isfinite(predictions["val_scores"]).all()
    fit_temperature(predictions["val_scores"], predictions["val_labels"])  # what the screening page fits


def test_the_model_scores_a_folder_as_the_run_scored_its_own_photos(dr_run, demo_root, tmp_path):
    predictions = dr_run.predictions()
    scored = score_photos(dr_run.path, demo_root / "eyepacs", cache_dir=tmp_path / "cache")
    index = {name: i for i, name in enumerate(scored["images"])}
    mine = [index[name] for name in predictions["images"]]
    np.testing.assert_allclose(scored["scores"][mine], predictions["scores"], atol=1e-5)
    np.testing.assert_array_equal(scored["labels"][mine], predictions["labels"])


def test_the_other_site_is_found_and_scored_to_a_csv_the_page_reads(dr_run, demo_root, tmp_path):
    site = other_site(dr_run.config["data"])
    assert site == demo_root / "eyepacs" / "site_b"
    result = score_photos_csv(dr_run.path, site, tmp_path / "site_b.csv", cache_dir=tmp_path / "cache")
    read = parse_scores((tmp_path / "site_b.csv").read_text())
    photos = read_eyepacs(site).items
    assert result["n"] == read.n == len(photos)
    levels = {p.image: p.level for p in photos}
    assert read.labels.tolist() == [int(levels[name] >= 2) for name in read.ids]
    assert other_site(tmp_path) is None
