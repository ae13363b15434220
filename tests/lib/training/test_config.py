import pytest

from lib import tasks
from lib.tasks import config_for, for_config
from lib.training.config import ConfigError
from lib.training.schedule import schedule_values, step_then_exponential


def test_presets_are_valid_and_course_matches_the_spec():
    for task in tasks.names():
        for name in tasks.get(task).presets:
            config_for(task, preset=name, data="/d")
    dr = config_for("dr", preset="course", data="/d")
    assert (dr["backbone"], dr["batch_size"], dr["epochs"], dr["n_per_class"], dr["image_size"]) == ("mobilenetv2", 10, 30, 2000, 224)
    lung2d = config_for("lung2d", preset="course", data="/d")
    assert (lung2d["batch_size"], lung2d["epochs"], lung2d["decay_start"], lung2d["image_size"]) == (16, 40, 20, 128)
    lung3d = config_for("lung3d", preset="course", data="/d")
    assert (lung3d["epochs"], lung3d["steps_per_epoch"], lung3d["validation_steps"], lung3d["batch_size"],
            lung3d["label_fraction"], lung3d["stride"], lung3d["chunk_depth"]) == (20, 20, 20, 8, 0.3, 8, 64)


@pytest.mark.parametrize(
    "override, message",
    [
        ({"learning_rate": "fast"}, "dr.learning_rate must be a number, got 'fast'"),
        ({"epochs": 2.5}, "dr.epochs must be a whole number, got 2.5"),
        ({"epochs": 0}, "dr.epochs must be between 1 and 1000, got 0"),
        ({"learning_rate": float("nan")}, "dr.learning_rate must be a finite number"),
        ({"backbone": "resnet"}, "dr.backbone must be one of mobilenetv2, small_cnn, got 'resnet'"),
        ({"freeze_backbone": "maybe"}, "dr.freeze_backbone must be true or false, got 'maybe'"),
        ({"colour": "red"}, "dr has no setting(s) colour"),
    ],
)
def test_bad_values_are_named(override, message):
    with pytest.raises(ConfigError) as info:
        config_for("dr", data="/d", **override)
    assert message in str(info.value)


def test_numbers_given_as_text_are_accepted():
    config = config_for("dr", data="/d", learning_rate="0.01", epochs="3", freeze_backbone="true")
    assert (config["learning_rate"], config["epochs"], config["freeze_backbone"]) == (0.01, 3, True)


def test_lung3d_roles_must_differ():
    with pytest.raises(ConfigError, match="must differ"):
        config_for("lung3d", data="/d", train_volumes="0002,0031", val_volume="0002")
    with pytest.raises(ConfigError, match="task must be one of"):
        for_config({"task": "ct"})


def test_schedule_values_at_key_epochs():
    kwargs = dict(base=1e-3, decay_start=20, factor=0.9)
    assert step_then_exponential(0, **kwargs) == 1e-3
    assert step_then_exponential(19, **kwargs) == 1e-3
    assert step_then_exponential(20, **kwargs) == pytest.approx(9e-4)
    assert step_then_exponential(30, **kwargs) == pytest.approx(1e-3 * 0.9**11)
    assert isinstance(step_then_exponential(25, **kwargs), float)
    values = schedule_values(40, **kwargs)
    assert len(values) == 40 and values[19] > values[20] > values[39]
