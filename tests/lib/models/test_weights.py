"""Weights files are checked before a run starts: missing, wrong extension, outside the allowed folders, a FIFO,
a folder, and a file that does not fit the backbone."""

import os

import pytest

from lib.models.weights import fit_problem, fit_problem_elsewhere, path_problem, weight_folders
from lib.tasks import config_for
from lib.training.config import ConfigError


@pytest.fixture
def folders(tmp_path):
    allowed = tmp_path / "weights"
    allowed.mkdir()
    return [allowed]


def test_names_are_not_paths(folders):
    assert path_problem("imagenet", folders=folders) is None and path_problem("none", folders=folders) is None


def test_each_bad_path_is_a_sentence_naming_it(tmp_path, folders):
    allowed = folders[0]
    (allowed / "good.h5").write_bytes(b"\x89HDF")
    (tmp_path / "elsewhere.h5").write_bytes(b"\x89HDF")
    (allowed / "folder.h5").mkdir()
    os.mkfifo(allowed / "pipe.keras")
    (allowed / "notes.txt").write_text("x")
    assert path_problem(str(allowed / "good.h5"), folders=folders) is None
    cases = {
        str(allowed / "missing.h5"): "There is no weights file missing.h5 in the weights folder (DLMI_WEIGHTS_DIR)",
        str(allowed / "notes.txt"): "must end in .h5 or .keras",
        str(allowed / "folder.h5"): "folder.h5 is a folder, not a weights file",
        str(allowed / "pipe.keras"): "pipe.keras is not a regular file",
    }
    for value, expected in cases.items():
        message = path_problem(value, folders=folders)
        assert expected in message and message.endswith("."), message
        assert str(allowed) not in message.replace(value, ""), "the answer names a folder of the server"


def test_the_field_cannot_probe_the_servers_files(tmp_path, folders):
    """A file that exists outside the weights folders and one that exists nowhere get the same answer (but for the
    name given), and neither names the server's folders."""
    (tmp_path / "elsewhere.h5").write_bytes(b"\x89HDF")
    exists = path_problem(str(tmp_path / "elsewhere.h5"), folders=folders)
    nowhere = path_problem(str(tmp_path / "nowhere" / "elsewhere.h5"), folders=folders)
    assert exists == nowhere and str(folders[0]) not in exists and str(tmp_path) not in exists
    assert exists == path_problem(str(folders[0] / "elsewhere.h5"), folders=folders)  # as if missing from the folder


def test_a_symlink_out_of_the_allowed_folder_is_refused(tmp_path, folders):
    (tmp_path / "secret.h5").write_bytes(b"x")
    (folders[0] / "link.h5").symlink_to(tmp_path / "secret.h5")
    assert "There is no weights file link.h5" in path_problem(str(folders[0] / "link.h5"), folders=folders)


def test_the_config_refuses_a_bad_weights_file_before_any_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DLMI_WEIGHTS_DIR", str(tmp_path / "w"))
    with pytest.raises(ConfigError, match="There is no weights file nope.h5"):
        config_for("dr", data="/d", backbone="mobilenetv2", weights=str(tmp_path / "w" / "nope.h5"))
    assert tmp_path / "w" in weight_folders()
    config_for("dr", data="/d", backbone="small_cnn", weights=str(tmp_path / "ignored.h5"))  # unused: fine


def test_a_file_of_another_model_does_not_fit_mobilenet(folders, processes):
    import keras

    other = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    target = folders[0] / "other.weights.h5"
    other.save_weights(target)
    message = fit_problem(str(target), image_size=96)
    assert message.startswith("The weights file other.weights.h5 does not fit MobileNetV2 without its top at 96 pixels")
    assert fit_problem_elsewhere(str(target), image_size=96) == message  # the page's way: Keras stays out of the server
