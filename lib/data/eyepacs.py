"""Reader for the EyePACS layout of Kaggle's ``diabetic-retinopathy-detection`` competition.

Layout (as Kaggle ships it)::

    ROOT/trainLabels.csv      columns ``image,level`` (``image`` has no extension, e.g. ``10_left``)
    ROOT/train/10_left.jpeg
    ROOT/train/10_right.jpeg
    ...

Levels: 0 no DR, 1 mild, 2 moderate, 3 severe, 4 proliferative.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image

from lib.data.check import DatasetCheck, is_dir, is_file, is_synthetic, list_files, missing_folders

NAME = "EyePACS fundus photos"
LABELS_FILE = "trainLabels.csv"
IMAGES_DIR = "train"
IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png")  # in order of preference when one id has several
MAX_PIXELS = 100_000_000  # a fundus camera makes 5-20 megapixels; a bigger header is a decompression bomb
LEVELS = (0, 1, 2, 3, 4)
LEVEL_NAMES = {0: "No DR", 1: "Mild", 2: "Moderate", 3: "Severe", 4: "Proliferative"}
REQUIRED_COLUMNS = ("image", "level")

_JPEG_START = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_PNG_START = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND"
# Some encoders pad after the end-of-image marker; look for it in the last bytes, not only the last two.
_TAIL_BYTES = 1024


@dataclass(frozen=True)
class FundusPhoto:
    """One labelled fundus photograph."""

    image: str  # the CSV's id, e.g. "10_left"
    level: int  # 0..4
    path: Path
    patient: str  # "10"
    eye: str  # "left", "right" or "" when the name does not say


def check_jpeg(path: Path) -> str | None:
    """Cheap structural check of a photo file (JPEG, or PNG) without decoding its pixels.

    Returns ``None`` when the file starts with its format's start marker, has the end marker near its
    end and a header of at most :data:`MAX_PIXELS` pixels; else a sentence saying what is wrong (empty,
    not a JPEG, truncated, too large). Full decoding errors are caught later, when the photo is preprocessed.
    The header is walked by hand (:func:`header_size`), a few small reads: at Kaggle's 35,126 photos, PIL's
    parser was four fifths of the check's time.
    """
    png = path.suffix.lower() == ".png"
    start, end = (_PNG_START, _PNG_END) if png else (_JPEG_START, _JPEG_END)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return "the file is empty"
            head = f.read(len(start))
            if head != start:
                return "is not a PNG file (no PNG signature)" if png else "is not a JPEG file (no JPEG start marker)"
            f.seek(max(0, size - _TAIL_BYTES))
            if end not in f.read():
                return f"is truncated ({size} bytes, no end marker): re-extract it from the archive"
            width, height = header_size(f, png=png)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except ValueError as exc:
        return f"cannot be opened as an image ({exc})"
    if width * height > MAX_PIXELS:
        return (f"is too large: {width}x{height} pixels ({width * height / 1e6:.0f} megapixels), more than the "
                f"{MAX_PIXELS // 1_000_000} megapixels a fundus photo can have")
    return None


# JPEG frame headers (SOF0-SOF15) hold the size; C4 (Huffman tables), C8 (reserved) and CC (arithmetic coding) share
# their range but are not frames. Markers without a length: TEM, RST0-7, SOI.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset([0x01, 0xD8, *range(0xD0, 0xD8)])
_MAX_SEGMENTS = 1000
_BLOCK = 4096


def header_size(f, *, png: bool = False) -> tuple[int, int]:
    """(width, height) from an open photo file's header, read by hand: for a JPEG, the segments from the start
    marker to the frame header (a few reads, whatever EXIF block comes first); for a PNG, its IHDR chunk.

    Raises
    ------
    ValueError
        Saying what is wrong: no frame header before the image data, a segment running past the file, a zero size.
    """
    if png:
        f.seek(8)
        chunk = f.read(16)
        if len(chunk) < 16 or chunk[4:8] != b"IHDR":
            raise ValueError("no PNG header chunk")
        width, height = int.from_bytes(chunk[8:12], "big"), int.from_bytes(chunk[12:16], "big")
    else:
        # Walk the segments in a block read at once (the file's own buffer reads that much anyway); a segment
        # beyond it (a large EXIF block) is reached by a seek and a new block.
        offset, block_at = 2, 0
        f.seek(0)
        block = f.read(_BLOCK)
        for _ in range(_MAX_SEGMENTS):
            if offset + 12 > block_at + len(block):
                f.seek(offset)
                block_at, block = offset, f.read(_BLOCK)
            at = offset - block_at
            if at >= len(block) or block[at] != 0xFF:
                raise ValueError("a JPEG segment does not start with a marker")
            while at < len(block) and block[at] == 0xFF:  # fill bytes may pad before a marker
                at += 1
            if at + 3 > len(block):
                raise ValueError("the file ends before its frame header")
            marker = block[at]
            if marker in _STANDALONE:
                offset = block_at + at + 1
                continue
            if marker in (0xD9, 0xDA):
                raise ValueError("no frame header before the image data")
            length = int.from_bytes(block[at + 1:at + 3], "big")
            if length < 2:
                raise ValueError("a JPEG segment with a broken length")
            if marker in _SOF:
                frame = block[at + 3:at + 8]
                if len(frame) < 5:
                    raise ValueError("the file ends inside its frame header")
                height, width = int.from_bytes(frame[1:3], "big"), int.from_bytes(frame[3:5], "big")
                break
            offset = block_at + at + 1 + length
        else:
            raise ValueError(f"no frame header within {_MAX_SEGMENTS} segments")
    if width == 0 or height == 0:
        raise ValueError(f"a header declaring {width}x{height} pixels")
    return width, height


def photo_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the photo's header, without decoding it.

    Raises
    ------
    UnreadablePhotoError
        Naming the file: the header cannot be read, or it declares more than :data:`MAX_PIXELS` pixels
        (decoding it would take gigabytes).
    """
    path = Path(path)
    try:
        with Image.open(path) as probe:  # reads the header only
            width, height = probe.size
    except Image.DecompressionBombError as exc:
        raise UnreadablePhotoError(f"{path.name} is too large to be a photo ({exc})") from exc
    except Exception as exc:
        raise UnreadablePhotoError(f"{path.name} cannot be opened as an image ({type(exc).__name__}: {exc})") from exc
    if width * height > MAX_PIXELS:
        raise UnreadablePhotoError(f"{path.name} is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels), "
                                   f"more than the {MAX_PIXELS // 1_000_000} megapixels a fundus photo can have")
    return width, height


def _split_name(image: str) -> tuple[str, str]:
    patient, _, eye = image.rpartition("_")
    if eye in ("left", "right") and patient:
        return patient, eye
    return image, ""


def read_eyepacs(root: str | Path, *, check_files: bool = True) -> DatasetCheck:
    """Read and validate an EyePACS folder.

    Parameters
    ----------
    root : path
        The folder holding ``trainLabels.csv`` and ``train/``.
    check_files : bool, keyword-only
        Also check each JPEG's start and end markers (fast: a few bytes per file).

    Returns
    -------
    DatasetCheck
        ``items`` is a list of :class:`FundusPhoto` sorted by image id; ``problems`` names each
        skipped row or file: ``bad_level``, ``duplicate_row``, ``missing_image`` (a label row
        whose photo is not there, common when only part of EyePACS is unzipped),
        ``unlabelled_image``, ``duplicate_photo`` (one id as .jpeg and .jpg: the .jpeg is kept) and
        ``corrupt_jpeg`` (empty, truncated, not a JPEG, a header too large to decode). ``summary`` holds
        the level histogram. Never raises: a missing or unreadable folder or CSV sets ``fatal``.
    """
    root = Path(root)
    report = DatasetCheck(name=NAME, path=root, synthetic=is_synthetic(root), checked=check_files)
    csv_path = root / LABELS_FILE
    images_dir = root / IMAGES_DIR
    if is_dir(root) and not is_file(csv_path):
        report.fatal = f"{LABELS_FILE} not found in {root} (expected Kaggle's layout: {LABELS_FILE} and {IMAGES_DIR}/)"
        return report
    report.fatal = missing_folders(root, IMAGES_DIR)
    if report.fatal:
        return report
    try:
        table = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        report.fatal = f"{LABELS_FILE} cannot be parsed as CSV: {exc}"
        return report
    except OSError as exc:
        report.fatal = f"{LABELS_FILE} in {root} cannot be read ({exc.strerror or exc})"
        return report
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        report.fatal = (
            f"{LABELS_FILE} lacks the column(s) {', '.join(missing)}; "
            f"found {', '.join(table.columns) or 'none'}, expected image,level"
        )
        return report

    try:
        names = list_files(images_dir)
    except OSError as exc:
        report.fatal = f"folder {IMAGES_DIR}/ in {root} cannot be read ({exc.strerror or exc})"
        return report
    candidates: dict[str, list[str]] = {}
    for name in names:
        stem, ext = os.path.splitext(name)
        if ext.lower() in IMAGE_EXTENSIONS:
            candidates.setdefault(stem, []).append(name)
    on_disk: dict[str, str] = {}
    for stem, found in candidates.items():
        # the same id as .jpeg and .jpg (say, a stray copy): keep the preferred extension, whatever the directory order
        if len(found) > 1:  # (one photo per id is the rule: no sort for 35,126 of them)
            found.sort(key=lambda n: (IMAGE_EXTENSIONS.index(os.path.splitext(n)[1].lower()), n))
        on_disk[stem] = found[0]
        for other in found[1:]:
            report.add(f"{IMAGES_DIR}/{other}", "duplicate_photo", f"{stem} is also {found[0]}, which is used; this copy is ignored")

    labelled: dict[str, int] = {}
    for row_number, (image, level_text) in enumerate(zip(table["image"], table["level"]), start=2):
        image = image.strip()
        where = f"{LABELS_FILE}:{row_number}"
        if not image:
            report.add(where, "bad_row", "empty image name")
            continue
        try:
            level = int(level_text.strip())
        except ValueError:
            report.add(where, "bad_level", f"level {level_text!r} of {image} is not a whole number 0-4")
            continue
        if level not in LEVELS:
            report.add(where, "bad_level", f"level {level} of {image} is outside 0-4")
            continue
        if image in labelled:
            report.add(where, "duplicate_row", f"{image} is listed again (first level {labelled[image]}, kept)")
            continue
        labelled[image] = level

    for image in sorted(labelled):
        if image not in on_disk:
            report.add(f"{IMAGES_DIR}/{image}.jpeg", "missing_image", "listed in the CSV but no photo on disk")
            continue
        path = images_dir / on_disk[image]
        if check_files:
            trouble = check_jpeg(path)
            if trouble:
                report.add(f"{IMAGES_DIR}/{on_disk[image]}", "corrupt_jpeg", trouble)
                continue
        patient, eye = _split_name(image)
        report.items.append(FundusPhoto(image, labelled[image], path, patient, eye))
    for image in sorted(set(on_disk) - set(labelled)):
        report.add(f"{IMAGES_DIR}/{on_disk[image]}", "unlabelled_image", f"photo has no row in {LABELS_FILE}")

    levels = [p.level for p in report.items]
    histogram = {level: levels.count(level) for level in LEVELS}
    report.summary = {
        "levels": histogram,
        "largest_class_share": round(max(histogram.values()) / len(levels), 4) if levels else None,
        "patients": len({p.patient for p in report.items}),
    }
    if not report.items and report.fatal is None:
        report.fatal = "no usable labelled photo"
    return report


def as_frame(photos: list[FundusPhoto]) -> pd.DataFrame:
    """The photos as a table with columns image, level, path, patient, eye (one row each)."""
    return pd.DataFrame(
        {
            "image": [p.image for p in photos],
            "level": pd.Series([p.level for p in photos], dtype="int64"),
            "path": [str(p.path) for p in photos],
            "patient": [p.patient for p in photos],
            "eye": [p.eye for p in photos],
        }
    )


class UnreadablePhotoError(ValueError):
    """A photo that cannot be decoded; the message names it."""


_REDUCED_FLAGS = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))


def decode_photo(path: str | Path, *, min_side: int = 0) -> np.ndarray:
    """Decode a photo as RGB, at the smallest libjpeg scale (1/8, 1/4, 1/2, 1) whose shorter side is still
    at least ``min_side`` pixels (0: full size). Decoding at reduced scale happens in the DCT domain,
    which is far cheaper than decoding every pixel of a 3000-pixel photo meant for 224.

    Returns
    -------
    ndarray (H, W, 3), uint8, RGB.

    Raises
    ------
    UnreadablePhotoError
        Naming the file when it cannot be opened or decoded.
    """
    path = Path(path)
    width, height = photo_size(path)
    flag = cv2.IMREAD_COLOR
    for factor, reduced_flag in _REDUCED_FLAGS:
        if min_side and min(width, height) // factor >= min_side:
            flag = reduced_flag
            break
    bgr = cv2.imread(str(path), flag)
    if bgr is None:
        raise UnreadablePhotoError(f"{path.name} cannot be decoded as JPEG")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_thumbnail(path: str | Path, *, height: int = 160) -> np.ndarray:
    """A small RGB preview of a photo, aspect ratio kept.

    Returns
    -------
    ndarray (height, round(height * aspect), 3), uint8.

    Raises
    ------
    UnreadablePhotoError
        Naming the file when it cannot be decoded.
    """
    rgb = decode_photo(path, min_side=height)
    h, w = rgb.shape[:2]
    width = max(1, round(w * height / h))
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def examples_per_level(photos: list[FundusPhoto], per_level: int, *, seed: int = 0) -> dict[int, list[FundusPhoto]]:
    """Up to ``per_level`` photos of each level, a seeded choice in file order (the page's thumbnails).

    Examples
    --------
    >>> from pathlib import Path
    >>> photos = [FundusPhoto(f"{i}_left", i % 2, Path(f"{i}_left.jpeg"), str(i), "left") for i in range(6)]
    >>> {level: [p.image for p in chosen] for level, chosen in examples_per_level(photos, 2).items() if chosen}
    {0: ['0_left', '4_left'], 1: ['3_left', '5_left']}
    """
    rng = np.random.default_rng(seed)
    out = {}
    for level in LEVELS:
        of_level = [p for p in photos if p.level == level]
        out[level] = [of_level[i] for i in sorted(rng.permutation(len(of_level))[:per_level])]
    return out
