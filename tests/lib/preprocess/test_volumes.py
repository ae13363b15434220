import numpy as np
import pytest

from lib.preprocess.volumes import (
    IGNORE_LABEL, crop_slices, downsample_inplane, labelled_fraction, pad_slices, prepare_volume, sample_chunks,
    sparse_labels,
)


def test_downsample_keeps_axis_0():
    volume = np.arange(3 * 16 * 16).reshape(3, 16, 16)
    out = downsample_inplane(volume, 8)
    assert out.shape == (3, 2, 2)
    assert out[1].tolist() == [[256, 264], [384, 392]]


def test_prepare_volume_scales_and_adds_channel():
    image = np.array([[[3071, -3071], [0, 307.1]]], np.int16)
    mask = np.array([[[255, 0], [0, 255]]], np.uint8)
    x, y = prepare_volume(image, mask)
    assert x.shape == y.shape == (1, 2, 2, 1)
    assert x.dtype == np.float32 and y.dtype == np.uint8
    np.testing.assert_allclose(x[..., 0], [[[1.0, -1.0], [0.0, 307 / 3071]]], rtol=1e-6)
    assert y[..., 0].tolist() == [[[1, 0], [0, 1]]]


def test_prepare_volume_rejects_nan():
    image = np.zeros((2, 2, 2), np.float32)
    image[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="1 NaN"):
        prepare_volume(image, np.zeros((2, 2, 2), np.uint8))


def test_sparse_labels_keep_a_fraction_per_axis():
    rng = np.random.default_rng(0)
    mask = (rng.random((20, 30, 40)) > 0.5).astype(np.uint8)
    labels = sparse_labels(mask, 0.1, seed=1)
    kept = labels != IGNORE_LABEL
    # the number of fully kept slices along each axis is round(0.1 * n)
    assert [int(kept.all(axis=(1, 2)).sum()), int(kept.all(axis=(0, 2)).sum()), int(kept.all(axis=(0, 1)).sum())] == [2, 3, 4]
    np.testing.assert_array_equal(labels[kept], mask[kept])
    assert set(np.unique(labels[~kept])) == {IGNORE_LABEL}
    # union of slices along 3 axes: 1 - (1 - 2/20)(1 - 3/30)(1 - 4/40)
    assert labelled_fraction(labels) == pytest.approx(1 - 0.9 ** 3)
    assert (sparse_labels(mask, 1.0) == mask).all()
    assert (sparse_labels(mask, 0.1, seed=1) == labels).all()


def test_sparse_labels_rejects_bad_fraction():
    with pytest.raises(ValueError, match="fraction"):
        sparse_labels(np.zeros((2, 2, 2)), 0.0)


def test_chunk_sampler_shapes_weights_and_every_start():
    images = [np.full((10, 4, 4, 1), i, np.float32) for i in range(2)]
    labels = [np.where(np.arange(10)[:, None, None, None] % 2 == 0, 1, IGNORE_LABEL) * np.ones((10, 4, 4, 1), np.uint8)
              for _ in range(2)]
    rng = np.random.default_rng(0)
    starts = set()
    for _ in range(200):
        batch = sample_chunks(images, labels, depth=6, batch=4, rng=rng)
        assert batch.x.shape == batch.y.shape == batch.w.shape == (4, 6, 4, 4, 1)
        starts.update(batch.start.tolist())
        np.testing.assert_array_equal(batch.w, batch.y)  # labelled voxels are 1 here, ignored ones weigh 0
    assert starts == {0, 1, 2, 3, 4}  # the last start, n - depth = 4, is reachable


def test_chunk_sampler_prefers_longer_volumes_and_pads_short_ones():
    images = [np.zeros((30, 2, 2, 1), np.float32), np.ones((10, 2, 2, 1), np.float32)]
    labels = [np.ones((30, 2, 2, 1), np.uint8), np.ones((10, 2, 2, 1), np.uint8)]
    batch = sample_chunks(images, labels, depth=16, batch=4000, rng=np.random.default_rng(1))
    assert np.mean(batch.volume_index == 0) == pytest.approx(0.75, abs=0.03)
    short = batch.volume_index == 1
    assert (batch.w[short][:, 10:] == 0).all() and (batch.w[short][:, :10] == 1).all()


def test_pad_and_crop_round_trip_odd_lengths():
    volume = np.random.default_rng(0).random((117, 3, 3, 1))
    padded, n = pad_slices(volume, 4)
    assert padded.shape[0] == 120 and n == 117
    assert (padded[117:] == 0).all()
    np.testing.assert_array_equal(crop_slices(padded, n), volume)
    same, n = pad_slices(volume[:116], 4)
    assert same.shape[0] == 116
