"""The one command line that trains a run again parses, and builds the run's very configuration."""

import shlex

import pytest

from lib.cli import build_parser, reproduce_command
from lib import tasks
from lib.tasks import config_for


def _config_of(command: str) -> dict:
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "lib"]
    args = build_parser().parse_args(words[3:])
    overrides = dict(item.split("=", 1) for item in args.set or [])
    return config_for(args.task, preset=args.preset, data=args.data, **overrides)


@pytest.mark.parametrize("task, preset, settings", [
    ("dr", "quick", dict(learning_rate=3e-4, epochs=7, freeze_backbone=True, backbone="mobilenetv2", weights="none")),
    ("dr", "course", {}),
    ("lung2d", "quick", dict(image_size=64, filters=8)),
])
def test_the_printed_command_parses_and_gives_the_same_configuration(task, preset, settings):
    config = config_for(task, preset=preset, data="/data/my photos", **settings)
    saved = {**config, "run_id": "20240101-dr-abc", "owner": "alice", "label": "mine", "versions": {"keras": "3"}}
    command = reproduce_command(saved)
    assert "'/data/my photos'" in command  # quoted for the shell
    assert _config_of(command) == config
    differs = [name for name, value in settings.items() if tasks.get(task).presets[preset][name] != value]
    assert command.count("--set") == len(differs)  # only what differs from the preset
