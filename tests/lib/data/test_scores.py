"""The scores CSV: what a person uploads, pastes or names on the command line; every bad file gets its message."""

import re

import numpy as np
import pytest

from lib.data.scores import (MAX_BYTES, MAX_ROWS, ScoresFileError, parse_scores, predictions_csv, read_scores_file,
                             scores_csv)

GOOD = "image,score,label,eye\n10_left,0.9,1,left\n10_right,0.2,0,right\n11_left,0.65,1,left\n11_right,0.4,0,right\n"


def test_a_good_file_with_every_column():
    got = parse_scores(GOOD, source="mine.csv", group="eye")
    np.testing.assert_allclose(got.scores, [0.9, 0.2, 0.65, 0.4])
    assert got.labels.tolist() == [1, 0, 1, 0] and got.labels.dtype == np.int64
    assert got.groups.tolist() == ["left", "right", "left", "right"]
    assert got.ids.tolist() == ["10_left", "10_right", "11_left", "11_right"]  # "image" found without asking
    assert got.n == 4 and got.source == "mine.csv"
    assert got.columns == {"score": "score", "label": "label", "group": "eye", "id": "image"}


def test_column_names_are_chosen_and_bytes_with_a_bom_and_semicolons_are_read():
    text = "\ufeffprob;truth;site;path\n0.3;0;A;a.png\n0.8;1.0;B;b.png\n1e-3;0;A;c.png\n"
    got = parse_scores(text.encode("utf-8"), score="prob", label="truth", group="site", id="path")
    np.testing.assert_allclose(got.scores, [0.3, 0.8, 0.001])
    assert got.labels.tolist() == [0, 1, 0] and got.groups.tolist() == ["A", "B", "A"]
    assert got.ids.tolist() == ["a.png", "b.png", "c.png"]


def test_without_optional_columns_groups_and_ids_are_none():
    got = parse_scores("score,label\n0.1,0\n0.9,1\n")
    assert got.groups is None and got.ids is None


def test_an_empty_group_cell_is_its_own_group():
    got = parse_scores("score,label,site\n0.1,0,A\n0.9,1,\n", group="site")
    assert got.groups.tolist() == ["A", "(none)"]


def test_the_csv_written_for_a_run_reads_back():
    text = scores_csv([0.25, 0.75, 0.5], [0, 1, 1], ids=["a", "b,c", "d"], groups=["x", "y", "x"])
    assert text.splitlines()[0] == "image,score,label,group"
    got = parse_scores(text, group="group")
    np.testing.assert_allclose(got.scores, [0.25, 0.75, 0.5])
    assert got.labels.tolist() == [0, 1, 1] and got.ids.tolist() == ["a", "b,c", "d"]
    assert got.groups.tolist() == ["x", "y", "x"]
    assert parse_scores(scores_csv(np.float32([0.1, 0.3]), np.int64([1, 0]))).scores.tolist() == \
        pytest.approx([0.1, 0.3], abs=1e-7)


@pytest.mark.parametrize("text, message", [
    ("", "mine.csv is empty: it needs a header row (e.g. score,label) and a row per item"),
    ("  \n\n", "mine.csv is empty"),
    ("score,label\n", "mine.csv has a header but no rows"),
    ("score,label,score\n0.1,0,0.2\n0.9,1,0.8\n", "mine.csv: the header names 'score' twice (columns 1 and 3)"),
    ("prob,label\n0.1,0\n0.9,1\n", "mine.csv has no column 'score' (its columns: prob, label); choose the score column"),
    ("score,y\n0.1,0\n0.9,1\n", "mine.csv has no column 'label' (its columns: score, y)"),
    ("score,label\n0.1,0\nhigh,1\n0.3,1\n", "mine.csv, row 3, column 'score': 'high' is not a number"),
    ("score,label\n0.1,0\nx,1\ny,1\n", "row 3, column 'score': 'x' is not a number (2 rows like it in all)"),
    ("score,label\n0.1,0\n,1\n", "mine.csv, row 3, column 'score': the cell is empty"),
    ("score,label\n0.1,0\nNaN,1\n", "mine.csv, row 3, column 'score': 'NaN' is not a finite number"),
    ("score,label\n0.1,0\ninf,1\n", "row 3, column 'score': 'inf' is not a finite number"),
    ("score,label\n0.1,0\n0.5,2\n", "mine.csv, row 3, column 'label': '2' is not 0 or 1"),
    ("score,label\n0.1,yes\n0.5,1\n", "mine.csv, row 2, column 'label': 'yes' is not 0 or 1"),
    ("score,label\n0.1,0\n0.5,nan\n", "row 3, column 'label': 'nan' is not 0 or 1"),
    ("score,label\n0.1,1\n0.5,1\n0.7,1\n", "mine.csv: every label is 1 (3 rows): the ROC curve and every figure of "
                                           "a screening test need both classes"),
    ("score,label\n0.1,0\n0.5,1,7\n", "mine.csv, row 3 has 3 cells; the header has 2"),
    ("score,label\n0.1,0\n0.5\n", "mine.csv, row 3 has 1 cell; the header has 2"),
])
def test_every_bad_file_says_what_and_where(text, message):
    with pytest.raises(ScoresFileError, match=re.escape(message)):
        parse_scores(text, source="mine.csv")


def test_a_missing_group_column_is_named():
    with pytest.raises(ScoresFileError, match="mine.csv has no column 'site' .its columns: score, label.; choose the "
                                              "group column"):
        parse_scores("score,label\n0.1,0\n0.9,1\n", source="mine.csv", group="site")


def test_bytes_that_are_not_text():
    with pytest.raises(ScoresFileError, match="mine.csv is not a text file in UTF-8"):
        parse_scores(b"score,label\n\xff\xfe\x00\x01,1\n", source="mine.csv")


def test_a_file_too_large_states_the_limit(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("score,label\n")
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(ScoresFileError, match=f"big.csv is 10.0 MB: the limit is {MAX_BYTES // 2**20} MB"):
        read_scores_file(big)
    with pytest.raises(ScoresFileError, match="the limit is 10 MB"):
        parse_scores(b"x" * (MAX_BYTES + 1), source="upload.csv")


def test_too_many_rows_states_the_limit():
    text = "score,label\n" + "0.5,1\n0.4,0\n" * (MAX_ROWS // 2 + 1)
    with pytest.raises(ScoresFileError, match=f"more than {MAX_ROWS:,} rows"):
        parse_scores(text, source="many.csv")


def test_a_file_that_is_not_there(tmp_path):
    with pytest.raises(ScoresFileError, match="cannot read .*nothing.csv"):
        read_scores_file(tmp_path / "nothing.csv")


def test_reading_a_file_from_disk(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(GOOD)
    got = read_scores_file(path, group="eye")
    assert got.source == "mine.csv" and got.n == 4


def test_a_runs_predictions_download_as_a_csv_the_page_reads_with_the_eye_as_group():
    predictions = {"scores": np.float32([0.8, 0.1, 0.4]), "labels": np.int64([1, 0, 1]),
                   "images": np.array(["10_left", "10_right", "11_left"]), "levels": np.int64([3, 0, 2])}
    got = parse_scores(predictions_csv(predictions), group="group")
    assert got.ids.tolist() == ["10_left", "10_right", "11_left"] and got.groups.tolist() == ["left", "right", "left"]
    np.testing.assert_allclose(got.scores, predictions["scores"])
    assert got.labels.tolist() == [1, 0, 1]
    assert parse_scores(predictions_csv({"scores": [0.2, 0.9], "labels": [0, 1]})).groups is None
