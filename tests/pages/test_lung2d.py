import numpy as np
import pytest

from lib.metrics.segmentation import per_item_scores
from lib.jobs.folder.store import RunStore
from tests.helpers.runs import make_lung2d_run
from tests.pages.conftest import open_page


@pytest.fixture
def lung2d_run(app_env, demo_root):
    return make_lung2d_run(RunStore(app_env / "runs"), demo_root / "lungs")


def test_page_shows_data_augmentation_schedule_and_results(lung2d_run):
    at = open_page("pages/lung2d.py", timeout=120)
    headers = [h.value for h in at.header]
    assert headers[:3] == ["1. CT slices and their lung masks", "2. Augmentation: the same random shift, rotation and zoom for image and mask",
                           "3. U-Net and training"]
    assert any("14 training, 5 validation, 5 test" in m.value for m in at.markdown)
    charts = at.get("plotly_chart")
    assert any("Learning-rate schedule" in c.proto.spec for c in charts)
    predictions = np.load(lung2d_run / "predictions.npz")
    expected = per_item_scores(predictions["probs"] / 255.0, predictions["masks"])
    shown = {m.label: m.value for m in at.metric}
    assert shown["Mean slice IoU"] == f"{expected['iou'].mean():.3f}"
    assert shown["Mean slice Dice"] == f"{expected['dice'].mean():.3f}"
    assert at.radio(key="l2_example").options[0].startswith("worst slice")


def test_threshold_rescoring_and_example_choice(lung2d_run):
    at = open_page("pages/lung2d.py", timeout=120)
    before = next(m.value for m in at.metric if m.label == "Mean slice IoU")
    at.slider(key="l2_threshold").set_value(0.95).run()
    predictions = np.load(lung2d_run / "predictions.npz")
    expected = per_item_scores(predictions["probs"] / 255.0, predictions["masks"], threshold=0.95)["iou"].mean()
    assert next(m.value for m in at.metric if m.label == "Mean slice IoU") == f"{expected:.3f}"
    for option in at.radio(key="l2_example").options:
        at.radio(key="l2_example").set_value(option).run()
        assert not at.exception
    assert before is not None


def test_slice_browser(app_env):
    at = open_page("pages/lung2d.py", timeout=120)
    at.slider(key="l2_browse").set_value(5).run()
    assert not at.exception
    captions = [c for img in at.get("image")[:3] for c in [img.proto.imgs[0].caption]]
    assert captions[1] == "mask (white = lung)"


def test_augmentation_controls_and_preset(app_env):
    at = open_page("pages/lung2d.py", timeout=120)
    at.slider(key="l2_rotation").set_value(30.0).run()
    at.number_input(key="l2_preview_seed").set_value(3).run()
    assert not at.exception
    at.radio(key="l2_preset").set_value("Course defaults").run()
    assert at.select_slider(key="l2_filters").value == 64 and at.number_input(key="l2_epochs").value == 40


def test_runs_without_results_are_listed_apart(app_env, lung2d_run):
    from lib.jobs.folder.protocol import update_status

    store = RunStore(app_env / "runs")
    empty = store.create({"task": "lung2d", "label": "x"}, owner="shared", label="stopped early")
    update_status(empty, state="stopped")
    failed = store.create({"task": "lung2d"}, owner="shared", label="crashed")
    update_status(failed, state="failed", error="out of memory (ResourceExhaustedError): try a smaller batch size")
    at = open_page("pages/lung2d.py", timeout=120)
    assert len(at.selectbox(key="lung2d_run_choice").options) == 1  # only the run with results
    texts = " ".join(m.value for m in at.markdown)
    assert "stopped before it finished an epoch" in texts and "out of memory" in texts
    assert "Mean slice IoU" in [m.label for m in at.metric]


def test_a_run_that_finds_no_lung_is_diagnosed_beside_its_results(app_env, demo_root):
    from lib.jobs.folder import files

    run_dir = make_lung2d_run(RunStore(app_env / "runs"), demo_root / "lungs")
    predictions = dict(np.load(run_dir / "predictions.npz"))
    predictions["probs"] = np.zeros_like(predictions["probs"])  # the background-only trap
    files.write_npz_atomic(run_dir / "predictions.npz", **predictions)
    at = open_page("pages/lung2d.py", timeout=120)
    assert any("No lung on any test slice" in w.value for w in at.warning)


def test_the_curves_summary_says_what_is_drawn(lung2d_run):
    """Read aloud, the curves' summary names the curves once each, and the dotted chance line only when it is drawn."""
    from lib.jobs.folder.protocol import update_status

    at = open_page("pages/lung2d.py", timeout=120)
    epochs = len(RunStore(lung2d_run.parent).load(lung2d_run.name).history)
    summary = f"The loss, accuracy of each of the {epochs} epochs, training and validation"
    assert f"{summary}." in [c.value for c in at.caption]  # no chance loss recorded: no dotted line drawn or named
    update_status(lung2d_run, chance_loss=0.5)
    at.run()
    assert f"{summary}; the dotted line is the loss of answering the same for everything." in [c.value for c in at.caption]
    spec = next(c.proto.spec for c in at.get("plotly_chart") if "chance 0.500" in c.proto.spec)
    assert '"dash":"dot"' in spec
