import os
import time

import cv2
import numpy as np
import pytest
from PIL import Image

from lib.demo.fundus import render_fundus
from lib.data.eyepacs import load_thumbnail
from lib.preprocess.fundus import cache_key, preprocess_photo, preprocess_photos
from lib.preprocess.images import minmax


@pytest.fixture(scope="module")
def big_photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "1_left.jpeg"
    rgb = render_fundus(3, "left", rng=np.random.default_rng(0), height=1536)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def _naive(path, size):
    """The course's path: full decode, Lanczos from full size, min-max."""
    full = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    return minmax(cv2.resize(full, (size, size), interpolation=cv2.INTER_LANCZOS4))


def test_fast_path_matches_the_naive_path(big_photo):
    fast = preprocess_photo(big_photo, size=224, crop="none")
    assert fast.shape == (224, 224, 3) and fast.dtype == np.float32
    assert fast.min() == 0.0 and fast.max() == 1.0
    assert np.abs(fast - _naive(big_photo, 224)).mean() < 0.02


def test_cache_is_used_and_keyed_by_parameters_and_file(big_photo, tmp_path):
    cold = preprocess_photos([big_photo], size=32, cache_dir=tmp_path)
    warm = preprocess_photos([big_photo], size=32, cache_dir=tmp_path)
    assert (cold.cache_hits, warm.cache_hits) == (0, 1)
    np.testing.assert_array_equal(cold.images, warm.images)
    assert cache_key(big_photo, size=32) != cache_key(big_photo, size=64)
    before = cache_key(big_photo, size=32)
    stat = big_photo.stat()
    os.utime(big_photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cache_key(big_photo, size=32) != before
    assert preprocess_photos([big_photo], size=32, cache_dir=tmp_path).cache_hits == 0


def test_a_corrupt_photo_is_skipped_and_named(big_photo, tmp_path):
    bad = tmp_path / "2_right.jpeg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    seen = []
    result = preprocess_photos([big_photo, bad, big_photo], size=16, progress=lambda d, t: seen.append((d, t)))
    assert result.kept.tolist() == [0, 2]
    assert result.images.shape == (2, 16, 16, 3) and result.images.dtype == np.uint8
    assert len(result.problems) == 1 and "2_right.jpeg" in result.problems[0].message
    assert seen[-1] == (3, 3)


def test_thumbnail_keeps_aspect(big_photo):
    thumb = load_thumbnail(big_photo, height=100)
    assert thumb.shape == (100, 150, 3)


def test_cropping_keeps_the_demo_fundus_round(big_photo):
    plain = preprocess_photo(big_photo, size=64, crop="none")
    cropped = preprocess_photo(big_photo, size=64, crop="fundus")

    def aspect(image):
        bright = image.mean(axis=2) > 0.1
        rows, cols = np.flatnonzero(bright.any(axis=1)), np.flatnonzero(bright.any(axis=0))
        return (cols[-1] - cols[0] + 1) / (rows[-1] - rows[0] + 1)

    assert abs(aspect(cropped) - 1) < 0.06  # round
    assert aspect(plain) < 0.8  # the 3:2 photo squashed into a square: an ellipse
    assert cache_key(big_photo, size=64, crop="fundus") != cache_key(big_photo, size=64, crop="none")


def test_a_whole_sample_comes_back_memory_mapped_from_one_cache_file(big_photo, tmp_path):
    bad = tmp_path / "2_right.jpeg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    other = tmp_path / "3_left.jpeg"
    other.write_bytes(big_photo.read_bytes())
    photos = [big_photo, bad, other]
    cold = preprocess_photos(photos, size=16, cache_dir=tmp_path / "cache")
    seen = []
    warm = preprocess_photos(photos, size=16, cache_dir=tmp_path / "cache", progress=lambda d, t: seen.append((d, t)))
    for result in (cold, warm):  # the server holds a view of the file, not a copy of its own
        assert isinstance(result.images, np.memmap) and not result.images.flags.writeable
    np.testing.assert_array_equal(np.asarray(cold.images), np.asarray(warm.images))
    assert warm.kept.tolist() == [0, 2] and [p.message for p in warm.problems] == [p.message for p in cold.problems]
    assert warm.cache_hits == 2 and seen == [(3, 3)]
    # another sample (another order) is another file; a photo that changed makes a new one
    assert preprocess_photos([other, big_photo], size=16, cache_dir=tmp_path / "cache").images.filename != warm.images.filename
    stat = other.stat()
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert preprocess_photos(photos, size=16, cache_dir=tmp_path / "cache").cache_hits == 1  # only big_photo's own file


def test_only_the_last_samples_are_kept_whole(big_photo, tmp_path, monkeypatch):
    monkeypatch.setattr("lib.preprocess.fundus.SAMPLES_KEPT", 2)
    copies = []
    for i in range(4):
        copies.append(tmp_path / f"{10 + i}_left.jpeg")
        copies[-1].write_bytes(big_photo.read_bytes())
        preprocess_photos(copies[-1:], size=16, cache_dir=tmp_path / "cache")
        time.sleep(0.02)  # distinct modification times
    kept = sorted((tmp_path / "cache" / "fundus-16" / "samples").glob("*.npy"))
    assert len(kept) == 2


def test_a_full_disk_while_saving_a_sample_keeps_it_in_memory_and_leaves_no_orphan(big_photo, tmp_path, monkeypatch):
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("lib.preprocess.fundus.write_json_atomic", full)  # the sample's description cannot be written
    result = preprocess_photos([big_photo], size=16, cache_dir=tmp_path)
    assert not isinstance(result.images, np.memmap) and result.images.shape == (1, 16, 16, 3)
    assert list((tmp_path / "fundus-16" / "samples").iterdir()) == []


def test_a_cache_folder_that_cannot_be_written_is_a_note_not_a_crash(big_photo, tmp_path, monkeypatch):
    """A cache folder made by a lecturer's sudo run (the server cannot write it) gave a Permission denied traceback on
    the DR page: the photos are preprocessed all the same and the result says why nothing was cached."""
    from lib.preprocess import fundus

    reference = preprocess_photos([big_photo], size=32)
    (tmp_path / "blocked").write_text("a file where the cache folder should be")
    result = preprocess_photos([big_photo], size=32, cache_dir=tmp_path / "blocked")
    np.testing.assert_array_equal(result.images, reference.images)
    assert "cannot be written" in result.cache_note and str(tmp_path / "blocked") in result.cache_note

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fundus, "save_npy_atomic", denied)
    result = preprocess_photos([big_photo], size=32, cache_dir=tmp_path / "writable")
    np.testing.assert_array_equal(result.images, reference.images)
    assert "(Permission denied)" in result.cache_note
    assert not list((tmp_path / "writable").rglob("*.npy"))  # no sample written half
    monkeypatch.undo()
    assert preprocess_photos([big_photo], size=32, cache_dir=tmp_path / "fine").cache_note is None
