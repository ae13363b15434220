"""The class file, the limits on a student's runs, and who may see or stop what."""

import json
import stat

import pytest

from lib.access.identity import Identity, hash_password
from lib.access.policy import ClassFileError, ClassSettings, LimitError, check_limits, load_class, save_class

STUDENT = Identity("bob", "student", "roster")
LECTURER = Identity("ada", "lecturer", "roster")
CLASS = ClassSettings(auth="roster", lecturers=("ada",), users={"ada": hash_password("lecture-notes")})


def test_without_a_class_file_the_app_is_single_user(tmp_path):
    settings = load_class(tmp_path / "class.json")
    assert settings.auth == "token" and not settings.is_class


def test_the_class_file_is_written_private_and_read_back(tmp_path):
    path = save_class(CLASS, tmp_path / "class.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = load_class(path)
    assert back.auth == "roster" and back.lecturers == ("ada",) and back.users == CLASS.users
    assert back.max_active_runs == 2 and back.caps == {}  # no bound of its own: the tasks' declared ones apply
    capped = save_class(ClassSettings(auth="roster", users=CLASS.users, caps={"epochs": (None, 10)}), tmp_path / "c.json")
    assert load_class(capped).caps["epochs"] == (None, 10)


@pytest.mark.parametrize("content, message", [
    ({"auth": "magic"}, "auth must be one of token, roster, proxy, oidc, got 'magic'"),
    ({"auth": "roster"}, "auth is roster but no users are listed"),
    ({"auth": "roster", "users": {"bob": "hunter2"}}, "the password of bob is not a hash"),
    ({"max_active_runs": 0}, "max_active_runs must be a whole number of at least 1, got 0"),
    ({"caps": {"epochs": [None, "many"]}}, r"caps.epochs\[1\] must be a number or null, got 'many'"),
    ({"lecturers": ["a/b"]}, "user name"),
    ({"password": "x"}, "unknown field"),
])
def test_a_broken_class_file_is_refused_by_name_and_field(tmp_path, content, message):
    path = tmp_path / "class.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ClassFileError, match=message) as error:
        load_class(path)
    assert str(path) in str(error.value)
    path.write_text("{not json")
    with pytest.raises(ClassFileError, match="cannot be read"):
        load_class(path)


def test_a_student_may_have_at_most_k_runs_waiting_or_training():
    config = {"epochs": 10}
    check_limits(CLASS, STUDENT, [config], active=1)
    with pytest.raises(LimitError, match="You have 2 run\\(s\\) waiting or running; this run would make 3, and each "
                                         "student may have at most 2"):
        check_limits(CLASS, STUDENT, [config], active=2)
    with pytest.raises(LimitError, match="these 7 runs would make 7"):  # the label-fraction experiment, all at once
        check_limits(CLASS, STUDENT, [config] * 7, active=0)
    check_limits(CLASS, LECTURER, [config] * 7, active=5)  # the lecturer has no limit
    check_limits(ClassSettings(), Identity("t" * 32, "student", "token"), [config] * 7, active=5)  # nor a laptop


@pytest.mark.parametrize("setting, value, message", [
    ("epochs", 1000, "epochs = 1000 is more than this class allows \\(50\\)"),
    ("batch_size", 1024, "batch_size = 1024 is more than this class allows \\(64\\)"),
    ("filters", 256, "filters = 256 is more than"),
    ("chunk_depth", 512, "chunk_depth = 512 is more than"),
    ("stride", 1, "stride = 1 is less than this class allows \\(4\\)"),
    ("steps_per_epoch", 1000, "steps_per_epoch = 1000 is more than"),
])
def test_runs_larger_than_the_class_allows_are_refused_with_the_setting(setting, value, message):
    from lib import tasks

    with pytest.raises(LimitError, match=message):
        check_limits(CLASS, STUDENT, [{"epochs": 5, setting: value}], active=0, caps=tasks.default_caps())
    check_limits(CLASS, LECTURER, [{setting: value}], active=0, caps=tasks.default_caps())


def test_the_tasks_declare_the_default_bounds_and_the_class_file_overrides_them():
    from lib import tasks

    declared = {name: f.cap for name, f in tasks.get("lung3d").fields.items() if f.cap}
    assert declared["epochs"] == (None, 50) and declared["stride"] == (4, None)
    with pytest.raises(LimitError, match="epochs = 20 is more than this class allows \\(10\\)"):
        check_limits(ClassSettings(auth="roster", users=CLASS.users, caps={"epochs": (None, 10)}), STUDENT,
                     [{"epochs": 20}], active=0, caps=declared)


def test_the_course_presets_fit_the_default_limits():
    from lib import tasks

    for task in tasks.all_tasks():
        declared = {name: f.cap for name, f in task.fields.items() if f.cap}
        for name, preset in task.presets.items():
            check_limits(CLASS, STUDENT, [dict(preset)], active=0, caps=declared)
