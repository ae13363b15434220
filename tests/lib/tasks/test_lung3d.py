import pytest
import keras
import numpy as np

from lib.models.unet import build_unet
from lib.preprocess.volumes import IGNORE_LABEL, sparse_labels
from lib.tasks.lung3d import chunk_dataset, predict_volume


def test_weighted_loss_ignores_unlabelled_voxels():
    rng = np.random.default_rng(0)
    x = rng.random((2, 8, 8, 8, 1), dtype=np.float32)
    y = (rng.random((2, 8, 8, 8, 1)) > 0.5).astype(np.float32)
    w = (rng.random((2, 8, 8, 8, 1)) > 0.6).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = build_unet(spatial_dims=3, input_shape=(8, 8, 8, 1), filters=2, depth=1, dropout=0.0)
    model.compile(optimizer="adam", loss="binary_crossentropy", weighted_metrics=["accuracy"])
    loss = model.evaluate(x, y, sample_weight=w, verbose=0)[0]
    flipped = np.where(w == 0, 1 - y, y)  # change every ignored voxel's label
    assert model.evaluate(x, flipped, sample_weight=w, verbose=0)[0] == np.float32(loss)
    changed = np.where(w == 1, 1 - y, y)  # changing labelled voxels does change it
    assert model.evaluate(x, changed, sample_weight=w, verbose=0)[0] != np.float32(loss)


def test_chunk_dataset_yields_weights_from_sparse_labels():
    mask = np.zeros((12, 8, 8, 1), np.uint8)
    mask[:, 2:6, 2:6] = 1
    labels = sparse_labels(mask, 0.25, seed=0)
    image = np.zeros((12, 8, 8, 1), np.float32)
    dataset = chunk_dataset([image], [labels], depth=8, batch=2, seed=0, steps=3, fresh=False)
    batches = [dataset[i] for i in range(len(dataset))]
    assert len(batches) == 3
    x, y, w = batches[0]
    assert x.shape == y.shape == w.shape == (2, 8, 8, 8, 1)
    assert set(np.unique(w)) == {0.0, 1.0} and (y[w == 0] == 0).all()
    dataset.on_epoch_end()
    np.testing.assert_array_equal(dataset[2][2], batches[2][2])  # a fixed validation set each epoch
    assert IGNORE_LABEL in labels


def test_training_chunks_are_fresh_each_epoch_and_repeatable():
    mask = np.zeros((40, 8, 8, 1), np.uint8)
    mask[:, 2:6, 2:6] = 1
    image = np.random.default_rng(0).random((40, 8, 8, 1)).astype(np.float32)
    first = chunk_dataset([image], [mask], depth=8, batch=2, seed=0, steps=2)
    x0 = first[1][0]
    first.on_epoch_end()
    assert not np.array_equal(first[1][0], x0)  # the next epoch samples other chunks
    np.testing.assert_array_equal(chunk_dataset([image], [mask], depth=8, batch=2, seed=0, steps=2)[1][0], x0)


def test_predict_volume_pads_odd_lengths_and_crops_back():
    model = build_unet(spatial_dims=3, input_shape=(None, 8, 8, 1), filters=2, depth=2, dropout=0.0)
    probs = predict_volume(model, np.zeros((117, 8, 8, 1), np.float32), depth=2)  # padded to 120 inside
    assert probs.shape == (117, 8, 8, 1)


def test_default_roles_fit_the_data():
    from lib.tasks.lung3d import default_roles, resolve_roles

    kaggle = {"0002": 325, "0031": 465, "0059": 301, "0078": 117, "0100": 500}
    assert default_roles(kaggle) == {"train": ["0002", "0031"], "val": ["0059"], "test": ["0078"]}
    assert default_roles({"x": 10, "y": 30, "z": 20}) == {"train": ["y"], "val": ["z"], "test": ["x"]}
    config = {"train_volumes": "auto", "val_volume": "auto", "test_volume": "y"}
    roles, chosen = resolve_roles(config, {"w": 40, "x": 10, "y": 30, "z": 20})
    assert chosen and roles == {"train": ["w", "z"], "val": ["x"], "test": ["y"]}
    explicit = {"train_volumes": "w", "val_volume": "x", "test_volume": "y"}
    assert resolve_roles(explicit, {"w": 1, "x": 1, "y": 1}) == ({"train": ["w"], "val": ["x"], "test": ["y"]}, False)
    import pytest

    from lib.contract import DataError

    with pytest.raises(DataError, match="at least 3 volumes"):
        default_roles({"a": 3, "b": 4})


def test_a_dataset_with_other_volume_ids_trains_with_no_setting_changed(lungs_copy, runs_dir):
    import json

    from lib.jobs.folder.store import RunStore
    from lib.jobs.job import run_job
    from tests.lib.training.conftest import tiny_config

    folder = lungs_copy / "3d_images"
    for old, new in (("0002", "0101"), ("0031", "0102"), ("0059", "0103"), ("0078", "0104")):
        (folder / f"IMG_{old}.nii.gz").rename(folder / f"IMG_{new}.nii.gz")
        (folder / f"MASK_{old}.nii.gz").rename(folder / f"MASK_{new}.nii.gz")
    config = tiny_config("lung3d", lungs_copy.parent, data=str(lungs_copy))
    assert config["train_volumes"] == config["val_volume"] == config["test_volume"] == "auto"
    run_dir = RunStore(runs_dir).create(config, owner="a")
    status = run_job(run_dir, echo=lambda _: None, poll_s=0.05)
    assert status["state"] == "done", status.get("error")
    # the demo volumes have 24, 32, 20 and 16 slices
    assert json.loads((run_dir / "split.json").read_text()) == {"train": ["0102", "0101"], "val": ["0103"], "test": ["0104"]}
    assert any("Volume roles chosen from the data" in n for n in status.get("notes", []))


def test_prepared_volumes_carry_their_voxel_size_after_the_stride(demo_root):
    from lib.tasks.lung3d import prepare

    config = {"data": str(demo_root / "lungs"), "train_volumes": "auto", "val_volume": "auto", "test_volume": "auto",
              "stride": 2, "depth": 2, "label_fraction": 0.3, "seed": 0, "normalise": "lung_window"}
    data = prepare(config)
    assert set(data.spacing) == set(data.volumes)
    assert all(s == pytest.approx((1.0, 1.4, 1.4)) for s in data.spacing.values())


import pytest  # noqa: E402  (kept beside the tests that use it)


@pytest.mark.parametrize("value, message", [
    (",,,", "names an empty one"), ("0002,,0031", "names an empty one"), ("", "must be a non-empty text"),
    ("auto,0002", "mixes auto with volume ids"), ("0002, auto", "mixes auto with volume ids"),
])
def test_train_volumes_that_name_nothing_or_mix_auto_are_refused(value, message):
    """They used to run as "auto" without a word."""
    from lib.tasks import config_for
    from lib.training.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        config_for("lung3d", preset="quick", data="/nowhere", train_volumes=value)
    assert config_for("lung3d", preset="quick", data="/nowhere", train_volumes=" 0002 , 0031")["train_volumes"]
