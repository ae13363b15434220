import subprocess

from lib.data.datasets import EYEPACS, LUNGS
from lib.data.download import NO_CLI, NO_CREDENTIALS, download, download_command, has_credentials


def test_commands_are_kaggles():
    assert download_command(EYEPACS, "/d") == ["kaggle", "competitions", "download", "-c", "diabetic-retinopathy-detection", "-p", "/d"]
    assert download_command(LUNGS, "/l") == ["kaggle", "datasets", "download", "-d", "kmader/finding-lungs-in-ct-data", "--unzip", "-p", "/l"]


def test_without_credentials_says_what_to_set(tmp_path):
    calls = []
    code, message = download(LUNGS, tmp_path, env={}, home=tmp_path, run=lambda *a, **k: calls.append(a))
    assert code == 2 and message == NO_CREDENTIALS
    assert "KAGGLE_USERNAME" in message and "KAGGLE_KEY" in message
    assert calls == []


def test_credentials_from_a_kaggle_json(tmp_path):
    assert not has_credentials({}, tmp_path)
    (tmp_path / ".kaggle").mkdir()
    (tmp_path / ".kaggle" / "kaggle.json").write_text("{}")
    assert has_credentials({}, tmp_path)


def test_runs_the_cli_when_set_up(tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "kaggle").write_text("#!/bin/sh\n")
    (fake_bin / "kaggle").chmod(0o755)
    env = {"KAGGLE_USERNAME": "u", "KAGGLE_KEY": "k", "PATH": str(fake_bin)}
    seen = []

    def run(command, check):
        seen.append(command)
        return subprocess.CompletedProcess(command, 0)

    code, message = download(LUNGS, tmp_path / "out", env=env, run=run)
    assert code == 0 and "DLMI_LUNG_DATA" in message
    assert seen == [download_command(LUNGS, tmp_path / "out")]
    code, message = download(EYEPACS, tmp_path / "out", env={**env, "PATH": str(tmp_path / "empty")}, run=run)
    assert (code, message) == (2, NO_CLI)
