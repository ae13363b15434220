import json

import numpy as np
import pytest

from lib.data.eyepacs import as_frame, check_jpeg, read_eyepacs


def test_reads_the_demo_layout(demo_root):
    report = read_eyepacs(demo_root / "eyepacs")
    assert report.ok and report.synthetic
    assert report.n_items == 60
    assert report.problems == []
    assert sum(report.summary["levels"].values()) == 60
    photo = report.items[0]
    assert photo.path.is_file() and photo.eye in ("left", "right")
    frame = as_frame(report.items)
    assert list(frame.columns) == ["image", "level", "path", "patient", "eye"]
    assert frame["level"].between(0, 4).all()


def test_bad_files_are_skipped_and_named(eyepacs_copy):
    train = eyepacs_copy / "train"
    photos = sorted(train.glob("*.jpeg"))
    truncated, empty, not_jpeg, removed = photos[0], photos[1], photos[2], photos[3]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    empty.write_bytes(b"")
    not_jpeg.write_bytes(b"GIF89a not a jpeg at all" * 10)
    removed.unlink()
    (train / "999_left.jpeg").write_bytes(photos[4].read_bytes())  # a photo with no CSV row
    with open(eyepacs_copy / "trainLabels.csv", "a") as f:
        f.write("1000_left,7\n1001_left,abc\n")

    report = read_eyepacs(eyepacs_copy)

    assert report.ok
    assert report.n_items == 60 - 4
    by_file = {p.file: p for p in report.problems}
    assert by_file[f"train/{truncated.name}"].kind == "corrupt_jpeg"
    assert "truncated" in by_file[f"train/{truncated.name}"].message
    assert "empty" in by_file[f"train/{empty.name}"].message
    assert "not a JPEG" in by_file[f"train/{not_jpeg.name}"].message
    assert by_file[f"train/{removed.stem}.jpeg"].kind == "missing_image"
    assert by_file["train/999_left.jpeg"].kind == "unlabelled_image"
    bad_levels = [p for p in report.problems if p.kind == "bad_level"]
    assert {("7" in p.message or "abc" in p.message) for p in bad_levels} == {True}
    assert len(bad_levels) == 2
    json.dumps(report.to_dict())  # serialisable for --json


def test_many_missing_images_are_summarised_not_listed(eyepacs_copy):
    with open(eyepacs_copy / "trainLabels.csv", "a") as f:
        for i in range(3000):
            f.write(f"{50000 + i}_left,0\n")
    report = read_eyepacs(eyepacs_copy)
    assert report.problem_counts()["missing_image"] == 3000
    text = report.format_text(max_per_kind=5)
    assert "... and 2995 more of this kind" in text
    assert len(text.splitlines()) < 40


@pytest.mark.parametrize(
    "csv_text, expected",
    [("name,grade\n10_left,0\n", "lacks the column(s) image, level"), ("image\n10_left\n", "lacks the column(s) level")],
)
def test_csv_without_expected_columns_is_fatal(eyepacs_copy, csv_text, expected):
    (eyepacs_copy / "trainLabels.csv").write_text(csv_text)
    report = read_eyepacs(eyepacs_copy)
    assert not report.ok
    assert expected in report.fatal


def test_missing_folder_csv_or_images(tmp_path, eyepacs_copy):
    assert "does not exist" in read_eyepacs(tmp_path / "nope").fatal
    (eyepacs_copy / "trainLabels.csv").unlink()
    assert "trainLabels.csv not found" in read_eyepacs(eyepacs_copy).fatal


def test_duplicate_rows_keep_the_first(eyepacs_copy):
    first = (eyepacs_copy / "trainLabels.csv").read_text().splitlines()[1]
    name, level = first.split(",")
    with open(eyepacs_copy / "trainLabels.csv", "a") as f:
        f.write(f"{name},{(int(level) + 1) % 5}\n")
    report = read_eyepacs(eyepacs_copy)
    assert [p.kind for p in report.problems] == ["duplicate_row"]
    assert next(p for p in report.items if p.image == name).level == int(level)


def test_check_jpeg_accepts_a_real_jpeg(tmp_path):
    import cv2

    path = tmp_path / "a.jpeg"
    cv2.imwrite(str(path), np.full((20, 30, 3), 128, np.uint8))
    assert check_jpeg(path) is None


def test_the_hand_read_header_size_matches_pils_for_every_kind_of_photo(tmp_path):
    """header_size walks the JPEG segments itself (PIL's parser was most of the check's time): its size must be the
    one PIL reads, for baseline and progressive JPEGs, EXIF blocks before the frame, grayscale, fill bytes and PNG."""
    from PIL import Image

    from lib.data.eyepacs import header_size

    rng = np.random.default_rng(0)
    rgb, gray = rng.integers(0, 255, (37, 53, 3), np.uint8), rng.integers(0, 255, (61, 29), np.uint8)
    exif = Image.Exif()
    exif[0x010E] = "x" * 30_000  # a 30 KB description before the frame header
    photos = {"baseline.jpeg": (rgb, {}), "progressive.jpeg": (rgb, {"progressive": True}),
              "exif.jpeg": (rgb, {"exif": exif.tobytes()}), "gray.jpg": (gray, {}), "photo.png": (rgb, {})}
    for name, (pixels, options) in photos.items():
        path = tmp_path / name
        Image.fromarray(pixels).save(path, **options)
        with open(path, "rb") as f:
            assert header_size(f, png=name.endswith(".png")) == Image.open(path).size, name
        assert check_jpeg(path) is None, name
    padded = tmp_path / "padded.jpeg"
    data = (tmp_path / "baseline.jpeg").read_bytes()
    padded.write_bytes(data[:2] + b"\xff\xff\xff" + data[3:])  # fill bytes before the first segment's marker
    with open(padded, "rb") as f:
        assert header_size(f) == (53, 37)
    # the start and end markers intact, the header cut away: named, not accepted
    broken = tmp_path / "broken.jpeg"
    broken.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40 + b"\xff\xd9")
    assert "cannot be opened as an image" in check_jpeg(broken)
    huge = tmp_path / "huge.jpeg"
    header = bytearray(data)
    at = next(i for i in range(2, len(header) - 1) if header[i] == 0xFF and header[i + 1] == 0xC0)
    header[at + 5:at + 9] = (20_000).to_bytes(2, "big") + (20_000).to_bytes(2, "big")
    huge.write_bytes(bytes(header))
    assert "400 megapixels" in check_jpeg(huge)
