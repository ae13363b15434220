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
    batches = list(chunk_dataset([image], [labels], depth=8, batch=2, seed=0, steps=3).as_numpy_iterator())
    assert len(batches) == 3
    x, y, w = batches[0]
    assert x.shape == y.shape == w.shape == (2, 8, 8, 8, 1)
    assert set(np.unique(w)) == {0.0, 1.0} and (y[w == 0] == 0).all()
    again = list(chunk_dataset([image], [labels], depth=8, batch=2, seed=0, steps=3).as_numpy_iterator())
    np.testing.assert_array_equal(again[2][2], batches[2][2])  # a fixed validation set each epoch
    assert IGNORE_LABEL in labels


def test_predict_volume_pads_odd_lengths_and_crops_back():
    model = build_unet(spatial_dims=3, input_shape=(None, 8, 8, 1), filters=2, depth=2, dropout=0.0)
    probs = predict_volume(model, np.zeros((117, 8, 8, 1), np.float32), depth=2)  # padded to 120 inside
    assert probs.shape == (117, 8, 8, 1)
