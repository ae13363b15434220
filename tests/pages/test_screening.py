"""The Screening page on an uploaded file: the operating point, calibration, the decision curve and subgroups, each
figure against lib or a hand computation; a bad file shows the reader's message and the page keeps running."""

import numpy as np
import pytest

from lib.data.scores import ScoresFileError, parse_scores
from lib.figures.screening import MARKER_NAME
from lib.metrics.calibration import calibrate
from lib.metrics.decision import net_benefit
from lib.metrics.subgroups import youden_threshold
from lib.jobs.folder.store import RunStore
from lib.text import plain
from tests.helpers.runs import make_dr_run
from tests.pages.conftest import open_page


def _csv() -> bytes:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1.5, 240)
    labels = (rng.random(240) < 1 / (1 + np.exp(-z))).astype(int)
    scores = 1 / (1 + np.exp(-2 * z))  # over-confident: T about 2
    site = np.where(np.arange(240) % 3 == 0, "B", "A")
    rows = "".join(f"{s:.5f},{y},{g}\n" for s, y, g in zip(scores, labels, site))
    return ("p,truth,site\n" + rows).encode()


def _upload(at, name, data):
    at.radio(key="screen_source").set_value("Upload a CSV").run()
    at.file_uploader(key="screen_upload").set_value((name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_uploaded_file_gets_every_section(app_env):
    data = _csv()
    at = _upload(open_page("pages/screening.py"), "vendor.csv", data)
    # the columns are guessed from their names: p is the score, truth the label, site the group
    assert at.selectbox(key="screen_col_score").value == "p"
    assert at.selectbox(key="screen_col_label").value == "truth"
    assert at.selectbox(key="screen_col_group").value == "site"
    read = parse_scores(data, score="p", label="truth", group="site")
    headers = [h.value for h in at.header]
    assert headers == ["1. Your scores", "2. The operating point", "3. Do the scores mean what they say?",
                       "4. Is the test worth using? The decision curve", "5. One threshold for everyone?"]
    youden = youden_threshold(read.scores, read.labels)
    assert at.number_input(key="screen_threshold_input").value == pytest.approx(youden)
    shown = {m.label: m.value for m in at.metric}
    fitted = calibrate(read.scores, read.labels, seed=0)
    assert shown["Temperature T"] == f"{fitted.temperature:.2f}" and 1.5 < fitted.temperature < 2.7
    assert shown["Brier score after scaling"] == f"{fitted.after.brier:.4f}"
    texts = " ".join(i.value for i in at.info) + " ".join(c.value for c in at.caption)
    assert "held-out half" in texts and "the AUC is the same" in texts
    if youden > 0.5:
        assert f"Your threshold {youden:.4f} is outside the range shown" in texts
        at.slider(key="screen_pt_range").set_value((0.01, 0.99)).run()
        texts = " ".join(i.value for i in at.info) + " ".join(c.value for c in at.caption)
    assert f"net benefit {net_benefit(read.scores, read.labels, youden):.3f}" in texts
    assert "The threshold probability is the cost ratio" in texts
    table = at.dataframe[-1].value
    assert list(table["group"]) == ["A", "B"] and list(table["n"]) == [160, 80]
    # a student (this laptop's browser token) can neither save the set nor poll on it, and nothing was stored
    assert not [b for b in at.button if b.key == "screen_poll_open"]
    assert not (app_env / "runs" / ".sets").exists() and not (app_env / "runs" / ".polls").exists()


def test_moving_the_threshold_moves_the_decision_curves_marker(app_env):
    data = _csv()
    at = _upload(open_page("pages/screening.py"), "vendor.csv", data)
    read = parse_scores(data, score="p", label="truth", group="site")
    at.number_input(key="screen_threshold_input").set_value(0.3).run()
    texts = " ".join(c.value for c in at.caption)
    assert f"At your threshold 0.3000: net benefit {net_benefit(read.scores, read.labels, 0.3):.3f}" in texts
    figure = next(c for c in at.get("plotly_chart") if MARKER_NAME in c.proto.spec)
    assert '"x":[0.3]' in figure.proto.spec.replace(" ", "")


@pytest.mark.parametrize("data", [b"score,label\n0.2,0\nhigh,1\n", b"score,label\n0.2,1\n0.4,1\n",
                                  b"score,label,score\n0.1,0,1\n"])
def test_a_bad_file_shows_the_readers_message_and_the_page_keeps_running(app_env, data):
    at = _upload(open_page("pages/screening.py"), "bad.csv", data)
    names = data.decode().split("\n")[0].split(",")
    with pytest.raises(ScoresFileError) as expected:
        parse_scores(data, source="bad.csv", score=names[0], label=names[1])
    assert [e.value for e in at.error] == [plain(str(expected.value))]  # the reader's message, escaped for markdown
    assert [h.value for h in at.header] == ["1. Your scores"]


def test_a_runs_scores_with_its_validation_set(app_env, demo_root):
    store = RunStore(app_env / "runs")
    make_dr_run(store, demo_root / "eyepacs")
    at = open_page("pages/screening.py")
    at.radio(key="screen_source").set_value("A finished DR run").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "5. One threshold for everyone?" in [h.value for h in at.header]
    assert list(at.dataframe[-1].value["group"]) == ["left", "right"]  # the eye
    assert any("python -m lib train dr" in c.value for c in at.code)


def test_scores_on_another_scale_can_be_typed_and_dragged(app_env):
    """Logits (a model's raw outputs) or a risk score: Youden's threshold lies outside 0-1, and the threshold box
    takes it (it refused any value above 1.001, which raised in front of the class)."""
    rng = np.random.default_rng(1)
    labels = np.arange(120) % 2
    logits = rng.normal(0, 1, 120) + 3.0 * labels + 1.0  # every score of the positives well above 1
    data = ("logit,label\n" + "".join(f"{s:.4f},{y}\n" for s, y in zip(logits, labels))).encode()
    at = _upload(open_page("pages/screening.py"), "logits.csv", data)
    youden = youden_threshold(logits.round(4), labels)
    assert youden > 1.001
    assert at.number_input(key="screen_threshold_input").value == pytest.approx(youden)
    at.number_input(key="screen_threshold_input").set_value(float(logits.max())).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="screen_threshold_input").value == pytest.approx(float(logits.max()))
