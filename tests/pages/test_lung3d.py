import numpy as np
import pytest

from lib.metrics.segmentation import iou
from lib.jobs.folder.store import RunStore
from tests.helpers.runs import make_lung3d_run
from tests.pages.conftest import open_page


@pytest.fixture
def lung3d_runs(app_env, demo_root):
    store = RunStore(app_env / "runs")
    return [make_lung3d_run(store, demo_root / "lungs", fraction=f) for f in (0.1, 1.0)]


def test_page_shows_roles_sparse_labels_results_and_views(lung3d_runs):
    at = open_page("pages/lung3d.py", timeout=120)
    headers = [h.value for h in at.header]
    assert headers[:4] == ["1. CT volumes: some train, one validates, one tests",
                           "2. Sparse labels: only some slices along each axis are annotated", "3. 3D U-Net and training",
                           "4. The experiment: IoU against the fraction of labelled slices"]
    assert at.multiselect(key="l3_train").value == ["0002", "0031"]
    assert (at.selectbox(key="l3_val").value, at.selectbox(key="l3_test").value) == ("0059", "0078")
    assert any("of the voxels" in m.value and "carry a label" in m.value for m in at.markdown)
    predictions = np.load(lung3d_runs[-1] / "predictions.npz")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Pooled IoU (the whole volume)"] == f"{iou(predictions['probs'] / 255.0, predictions['mask']):.3f}"
    assert "6. Views" in headers
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any('"type":"mesh3d"' in spec for spec in charts)


def test_the_3d_view_turns_from_the_keyboards_sliders(lung3d_runs):
    import json

    at = open_page("pages/lung3d.py", timeout=120)

    def eye():
        spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"type":"mesh3d"' in c.proto.spec)
        return spec["layout"]["scene"]["camera"]["eye"]

    first = eye()
    assert first["x"] == pytest.approx(first["y"]) and first["z"] > 0  # turned 45 degrees, tilted up
    at.slider(key="l3_turn").set_value(90)
    at.slider(key="l3_tilt").set_value(0)
    at.run()
    assert eye() == pytest.approx({"x": 0.0, "y": 2.17, "z": 0.0}, abs=1e-3)  # from the y side, level
    assert any("turned 90 degrees and tilted 0 degrees" in (m.value or "") for m in [*at.caption, *at.markdown])


def test_changing_the_fraction_changes_the_labelled_share(app_env):
    at = open_page("pages/lung3d.py", timeout=120)
    share = lambda: next(m.value for m in at.markdown if "carry a label" in m.value)
    before = share()
    at.slider(key="l3_label_fraction").set_value(0.05).run()
    assert share() != before and "With 5%" in share()


def test_roles_must_leave_validation_and_test_volumes(app_env):
    at = open_page("pages/lung3d.py", timeout=120)
    at.multiselect(key="l3_train").set_value(["0002", "0031", "0059"]).run()
    assert any("leave two for validation and test" in e.value for e in at.error)
    assert not at.exception


def test_experiment_plot_uses_finished_runs(lung3d_runs, app_env):
    from lib.jobs.folder import files

    for run_dir in lung3d_runs:  # mark the two runs as one experiment
        config = files.read_json(run_dir / files.CONFIG)
        files.write_json_atomic(run_dir / files.CONFIG, {**config, "experiment": "exp A"})
    at = open_page("pages/lung3d.py", timeout=120)
    spec = next(c.proto.spec for c in at.get("plotly_chart") if "sparse labelling get to full" in c.proto.spec)
    assert "exp A" in spec and "full labels" in spec



def test_the_experiment_button_is_offered(app_env):
    at = open_page("pages/lung3d.py", timeout=120)
    assert not at.button(key="l3_sweep").disabled
    assert at.multiselect(key="l3_label_fraction_values").value == [0.05, 0.1, 0.3, 1.0]
