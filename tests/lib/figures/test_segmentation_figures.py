import numpy as np
import pytest

from lib.figures.display import LABELLED_BACKGROUND_RGB, LABELLED_LUNG_RGB, busiest_index, projection, sparse_overlay
from lib.figures.segmentation import per_slice_chart, score_histogram, sweep_figure
from lib.figures.training import compare_figure, history_figure, schedule_figure
from lib.figures.volume3d import lungs_3d_figure, surface
from lib.metrics.segmentation import examples_in_ranges


def test_sparse_overlay_colours():
    out = sparse_overlay(np.full((1, 3), 100, np.uint8), np.array([[1, 0, 2]]), alpha=1.0, background_alpha=1.0)
    assert [tuple(p) for p in out[0]] == [LABELLED_LUNG_RGB, LABELLED_BACKGROUND_RGB, (100, 100, 100)]  # no label: untouched


def test_projection_and_busiest_slice():
    volume = np.zeros((4, 5, 6))
    volume[2, 1:4, 1:4] = 1
    assert projection(volume, 0, kind="max").shape == (5, 6)
    assert projection(volume, 1).max() == pytest.approx(3 / 5)
    assert busiest_index(volume, 0) == 2 and busiest_index(np.zeros((4, 5, 6)), 2) == 3
    with pytest.raises(ValueError, match="kind"):
        projection(volume, 0, kind="sum")


def test_surface_of_a_cube_and_of_nothing():
    cube = np.zeros((8, 8, 8), np.uint8)
    cube[2:6, 2:6, 2:6] = 1
    vertices, faces = surface(cube, spacing=(2.0, 1.0, 1.0))
    assert vertices[:, 0].min() == pytest.approx(3.0, abs=1.01) and faces.shape[1] == 3
    assert surface(np.zeros((4, 4, 4))) is None
    fig = lungs_3d_figure(cube, np.zeros((8, 8, 8)))  # nothing true: all of it is false lung
    assert [t.name for t in fig.data] == ["false lung (prediction only):<br>64 voxels"]


def test_the_3d_view_draws_the_errors_where_they_are_over_the_agreement():
    """Truth a 6-voxel-wide box, the prediction the same box moved 2 voxels along x: the missed lung is the slab
    x = 2..3 (16 x 2 x ... voxels) and the false lung the slab x = 8..9, each near solid over the agreement."""
    truth = np.zeros((6, 6, 12), np.uint8)
    truth[1:5, 1:5, 2:8] = 1
    prediction = np.roll(truth, 2, axis=2)
    fig = lungs_3d_figure(prediction, truth)
    by_name = {t.name.split(":")[0]: t for t in fig.data}
    assert set(by_name) == {"lung found (both agree)", "missed lung (truth only)", "false lung (prediction only)"}
    missed, false = by_name["missed lung (truth only)"], by_name["false lung (prediction only)"]
    # 4 x 4 x 2 voxels each, a third of the 96 true voxels
    assert missed.name.endswith("32 voxels, 33.3% of the true lung") and false.name.startswith("false lung (prediction only):<br>32")
    # marching cubes at 0.5 puts a surface half a voxel outside the voxels it closes
    assert (min(missed.x), max(missed.x)) == (1.5, 3.5) and (min(false.x), max(false.x)) == (7.5, 9.5)
    assert 0.3 <= by_name["lung found (both agree)"].opacity < missed.opacity == false.opacity < 1
    assert missed.color != false.color
    assert fig.layout.title.text == "Found 66.7% of the true lung,<br>missed 33.3%;<br>false lung 33.3% of its size"


def test_a_thin_rim_of_missed_lung_is_read_as_what_it_is():
    """Issue 30: a one-voxel rim missed around a lung mostly found read as half the lung missed. The title says the
    share found, counted here from the voxels; the agreed lung is not drawn fainter than half."""
    truth = np.zeros((12, 12, 12), np.uint8)
    truth[1:11, 1:11, 1:11] = 1  # 1000 voxels
    prediction = np.zeros_like(truth)
    prediction[2:10, 2:10, 2:10] = 1  # 512 found; the rim of 488 missed
    fig = lungs_3d_figure(prediction, truth)
    assert fig.layout.title.text.startswith("Found 51.2% of the true lung,<br>missed 48.8%")
    prediction[1:11, 1:11, 2:11] = 1  # one face missed only: 900 of 1000 found
    fig = lungs_3d_figure(prediction, truth)
    assert fig.layout.title.text.startswith("Found 90.0% of the true lung,<br>missed 10.0%")
    assert {t.name.split(":")[0]: t.opacity for t in fig.data}["lung found (both agree)"] >= 0.5


def test_examples_in_ranges_picks_the_middle_and_reports_empty_ranges():
    picks = examples_in_ranges([0.86, 0.88, 0.99, 0.3])
    assert picks == {(0.85, 0.9): 1, (0.9, 0.95): None, (0.95, 1.0): 2}


def test_charts_carry_their_data():
    import pandas as pd

    hist = score_histogram(np.array([0.9, 0.95, 1.0]))
    assert list(hist.data[0].x) == [0.9, 0.95, 1.0] and "mean 0.950" in hist.layout.title.text
    assert tuple(hist.layout.xaxis.range)[0] == 0.85  # zoomed to the data, not 0-1
    assert not hist.layout.annotations  # no label sitting on a bar
    assert list(per_slice_chart(np.array([1.0, 0.5])).data[0].y) == [1.0, 0.5]
    from lib import tasks

    rows = [{"experiment": "a", "value": f, "metric": v} for f, v in ((1.0, 0.9), (0.1, 0.8))]
    fig = sweep_figure(rows, tasks.get("lung3d").experiment("label_fraction"))
    assert list(fig.data[0].x) == [0.1, 1.0] and "full labels (a): 0.900" in str(fig.layout.annotations[0].text)
    history = pd.DataFrame({"epoch": [1, 2], "loss": [0.5, 0.4], "val_loss": [0.6, 0.5]})
    fig = history_figure(history, metrics=("loss", "accuracy"))
    assert [t.name for t in fig.data] == ["train", "validation"]
    table = history.assign(run="r1")
    assert len(compare_figure(table, "loss").data) == 2
    assert schedule_figure([1e-3, 5e-4]).layout.yaxis.type == "log"


def test_the_camera_turns_around_the_slice_axis_and_tilts_up():
    from lib.figures.volume3d import camera

    eye = lambda turn, tilt: np.array([camera(turn, tilt, distance=2.0)["eye"][a] for a in "xyz"])  # noqa: E731
    assert np.allclose(eye(0, 0), [2, 0, 0]) and np.allclose(eye(90, 0), [0, 2, 0]) and np.allclose(eye(180, 0), [-2, 0, 0])
    assert np.allclose(eye(30, 60), [2 * 0.5 * np.sqrt(3) / 2, 2 * 0.5 * 0.5, 2 * np.sqrt(3) / 2], atol=1e-3)
    assert np.allclose(eye(45, 35), [1.25 * 2.0 / np.sqrt(3 * 1.25 ** 2)] * 3, atol=0.02)  # near plotly's own view
    with pytest.raises(ValueError, match="between -90 and 90"):
        camera(0, 120)
    fig = lungs_3d_figure(np.pad(np.ones((2, 2, 2)), 2), np.pad(np.ones((2, 2, 2)), 2), view=camera(90, 0))
    assert fig.layout.scene.camera.eye.y == pytest.approx(2.17) and fig.layout.scene.camera.eye.x == pytest.approx(0)


def test_straight_down_the_slice_axis_the_camera_keeps_a_screen_up():
    from lib.figures.volume3d import camera

    for turn in (0, 45, 90, 200):
        for tilt in (-90, 90):
            view = camera(turn, tilt)
            eye, up = (np.array([view[k][a] for a in "xyz"]) for k in ("eye", "up"))
            assert np.linalg.norm(up) == pytest.approx(1, abs=1e-3)
            assert abs(np.dot(eye / np.linalg.norm(eye), up)) < 1e-3  # never along the view: plotly needs a screen up
    assert camera(45, 35)["up"] == {"x": 0.0, "y": 0.0, "z": 1.0}
