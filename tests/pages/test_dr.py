import json

import numpy as np
import pytest

from lib.metrics.roc import operating_point, roc, youden_index
from lib.metrics.uncertainty import Bootstrap
from lib.notice import prevalence_reading
from lib.jobs.folder.store import RunStore
from tests.helpers.runs import make_dr_run
from tests.pages.conftest import open_page


@pytest.fixture
def dr_run(app_env, demo_root):
    return make_dr_run(RunStore(app_env / "runs"), demo_root / "eyepacs")


def _component(at):
    return [e for e in at.get("bidi_component")][0]


def test_page_walks_from_histogram_to_the_operating_point(dr_run):
    at = open_page("pages/dr.py")
    headers = [h.value for h in at.header]
    assert headers[:4] == ["1. The data", "2. Refer or not: balanced sampling", "3. Preprocessing and split", "4. Model and training"]
    assert "6. Choose the operating point" in headers and "7. The photos behind the numbers" in headers
    assert [m.label for m in at.metric][:3] == ["train (60/20/20)", "val (60/20/20)", "test (60/20/20)"]
    # the chosen run's scores, Youden's point by default, and the figures lib computes for it
    predictions = np.load(dr_run / "predictions.npz")
    curve = roc(predictions["scores"], predictions["labels"])
    youden = float(curve.thresholds[youden_index(curve)])
    assert at.number_input(key="dr_threshold_input").value == pytest.approx(youden)
    point = operating_point(predictions["scores"], predictions["labels"], youden, prevalence=0.2)
    boot = Bootstrap(predictions["scores"].astype(float), predictions["labels"].astype(int), samples=1000, seed=0)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Sensitivity: 95 % interval"] == boot.sensitivity(youden).span()
    assert shown["Specificity: 95 % interval"] == boot.specificity(youden).span()
    assert "Sensitivity" not in shown and "PPV at 20%" not in shown  # the panel shows the point's figures, once
    labels = predictions["labels"]
    assert any(prevalence_reading(point.sensitivity, point.specificity, float(labels.mean()), 0.2) in i.value for i in at.info)
    assert _component(at) is not None


def test_presets_and_typed_threshold_update_the_figures(dr_run):
    at = open_page("pages/dr.py")
    predictions = np.load(dr_run / "predictions.npz")
    at.button(key="dr_screening").click().run()
    chosen = at.number_input(key="dr_threshold_input").value
    assert operating_point(predictions["scores"], predictions["labels"], chosen).sensitivity >= 0.95
    at.number_input(key="dr_threshold_input").set_value(0.9).run()
    boot = Bootstrap(predictions["scores"].astype(float), predictions["labels"].astype(int), samples=1000, seed=0)
    assert next(m.value for m in at.metric if m.label == "Specificity: 95 % interval") == boot.specificity(0.9).span()
    assert any("False positives" in s.value for s in at.subheader)


def test_a_drag_reported_by_the_component_moves_the_threshold(dr_run):
    at = open_page("pages/dr.py")
    at.session_state["dr_roc"] = {"threshold": 0.42}  # what the browser sends when the handle is released
    at.run()
    assert at.number_input(key="dr_threshold_input").value == pytest.approx(0.42)


def test_histogram_and_thumbnails_per_level(app_env, demo_root):
    from lib.data import read_eyepacs

    at = open_page("pages/dr.py")
    assert any("largest class" in c.proto.spec for c in at.get("plotly_chart"))
    assert any("Synthetic demo data" in w.value for w in at.warning)
    levels = read_eyepacs(demo_root / "eyepacs").summary["levels"]
    strips = [m.value for m in at.markdown if m.value.startswith("**Level ")]
    assert len(strips) == 5
    per_level = [len(img.proto.imgs) for img in at.get("image")][: sum(1 for n in levels.values() if n)]
    assert per_level == [min(4, n) for n in levels.values() if n]
    at.slider[0].set_value(2).run()
    assert [len(img.proto.imgs) for img in at.get("image")][0] == 2


def test_bad_learning_rate_warns_and_no_run_means_no_results(app_env):
    at = open_page("pages/dr.py")
    assert any("No finished run yet" in i.value for i in at.info)
    at.select_slider(key="dr_learning_rate").set_value(0.1).run()
    assert "What do you expect from a learning rate of 0.1?" in [e.label for e in at.expander]
    assert not any("too large" in w.value for w in at.warning)  # the run teaches it, the diagnosis explains it
    at.radio(key="dr_preset").set_value("Course defaults").run()
    assert at.selectbox(key="dr_image_size").value == 224 and at.number_input(key="dr_epochs").value == 30


def test_costs_draw_the_cheapest_point_and_price_the_chosen_one(dr_run):
    """With costs on (a miss 10, a needless referral 1, prevalence 20 %), the page's figures are those of a direct
    computation over every candidate threshold; "Snap to the lowest cost" moves there."""
    at = open_page("pages/dr.py")
    predictions = np.load(dr_run / "predictions.npz")
    scores, labels = predictions["scores"].astype(float), predictions["labels"].astype(int)
    assert _component(at) is not None and "costs" not in str(at.markdown)  # off until asked for
    at.toggle(key="dr_costs_on").set_value(True).run()
    at.number_input(key="dr_cost_missed").set_value(10.0).run()
    # by hand: every distinct score as a threshold (refer when score >= t), cost per person screened
    def cost(t):
        se = (scores[labels == 1] >= t).mean()
        sp = (scores[labels == 0] < t).mean()
        return 0.2 * (1 - se) * 10 + 0.8 * (1 - sp) * 1
    candidates = np.unique(scores)
    best = min(candidates, key=lambda t: (round(cost(t), 12), -t))
    here = at.number_input(key="dr_threshold_input").value
    text = next(m.value for m in at.markdown if "per 1,000 screened" in m.value)
    assert f"**{1000 * cost(here):,.1f}** per 1,000" in text and f"**{1000 * cost(best):,.1f}**" in text
    drawn = json.loads(_component(at).proto.json)  # what the browser draws: the line's slope, the vertex
    assert drawn["costs"]["slope"] == pytest.approx(0.8 * 1 / (0.2 * 10))
    assert drawn["thr"][drawn["costs"]["cheapest"]] == pytest.approx(best)
    at.button(key="dr_cheapest").click().run()
    assert at.number_input(key="dr_threshold_input").value == pytest.approx(best, abs=1e-4)
    at.number_input(key="dr_cost_missed").set_value(0.0).run()
    at.number_input(key="dr_cost_unneeded").set_value(0.0).run()
    assert any("every threshold is as good" in w.value for w in at.warning)


def test_drawing_pairs_counts_how_often_the_referable_photo_wins(dr_run):
    """The share shown is the share of the drawn pairs (checked by hand over the same pairs) and settles near the AUC
    of scikit-learn."""
    from sklearn.metrics import roc_auc_score

    from lib.metrics.roc import draw_pairs

    at = open_page("pages/dr.py")
    predictions = np.load(dr_run / "predictions.npz")
    scores, labels = predictions["scores"].astype(float), predictions["labels"].astype(int)
    at.button(key="dr_pair_one").click().run()
    at.button(key="dr_pair_more").click().run()
    for _ in range(4):
        at.button(key="dr_pair_more").click().run()
    metric = next(m for m in at.metric if m.label.startswith("Referable scored higher"))
    assert metric.label.endswith("of 501 pairs")
    draws = draw_pairs(scores, labels, 501, seed=0)
    by_hand = np.mean([1.0 if scores[p] > scores[n] else 0.5 if scores[p] == scores[n] else 0.0
                       for p, n in zip(draws.positive, draws.negative)])
    assert metric.value == f"{by_hand:.1%}"
    assert abs(by_hand - roc_auc_score(labels, scores)) < 0.08  # 501 pairs: within a few standard errors
    at.button(key="dr_pair_again").click().run()
    assert not [m for m in at.metric if m.label.startswith("Referable scored higher")]


def _open_link(query: dict) -> "AppTest":
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/dr.py")
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_shared_link_opens_the_same_run_and_operating_point(app_env, demo_root):
    store = RunStore(app_env / "runs")
    older = make_dr_run(store, demo_root / "eyepacs", seed=1).name
    newer = make_dr_run(store, demo_root / "eyepacs", seed=2).name
    at = _open_link({"run": older, "threshold": "0.3"})
    assert at.selectbox(key="dr_run_choice").value == older != newer
    assert at.number_input(key="dr_threshold_input").value == pytest.approx(0.3)
    # the address follows what the page shows: a threshold typed now is what a copied link would carry
    at.number_input(key="dr_threshold_input").set_value(0.61).run()
    assert at.query_params["threshold"] in ("0.6100", ["0.6100"]) and at.query_params["run"] in (older, [older])
    assert at.number_input(key="dr_threshold_input").value == pytest.approx(0.61)  # not undone by the link


def test_a_link_to_a_run_one_may_not_see_or_a_bad_threshold_says_so(app_env, demo_root):
    store = RunStore(app_env / "runs")
    own = make_dr_run(store, demo_root / "eyepacs", seed=1).name
    hidden = make_dr_run(store, demo_root / "eyepacs", seed=2, owner="f" * 32).name  # another student's, unpublished
    at = _open_link({"run": hidden, "threshold": "a lot"})
    assert at.selectbox(key="dr_run_choice").value == own
    assert hidden not in at.selectbox(key="dr_run_choice").options
    warnings = " ".join(w.value for w in at.warning)
    assert "not one you can see" in warnings and "'a lot' is not a number" in warnings


def test_a_large_folder_shows_its_listing_while_every_file_is_checked(app_env, monkeypatch):
    """Kaggle's 35,126 photos took seconds to check before the first render: a folder over the threshold is shown
    from its listing at once, says it is being checked, and shows the checked report when the check is done."""
    import threading
    import time

    import ui.data

    monkeypatch.setattr(ui.data, "BACKGROUND_CHECK_FROM", 10)  # the small demo has about 100 photos
    gate, original = threading.Event(), ui.data._BackgroundCheck._run
    monkeypatch.setattr(ui.data._BackgroundCheck, "_run", lambda self, *a: (gate.wait(60), original(self, *a)))
    at = open_page("pages/dr.py")
    waiting = [c.value for c in at.caption if "Checking every file of the dataset" in c.value]
    assert waiting and "1. The data" in [h.value for h in at.header]  # the page is there meanwhile
    gate.set()
    for _ in range(100):
        time.sleep(0.1)
        at.run()
        if not any("Checking every file of the dataset" in c.value for c in at.caption):
            break
    else:
        raise AssertionError("the page still says the files are being checked")
    assert not at.exception and "1. The data" in [h.value for h in at.header]


def test_a_cache_folder_the_server_cannot_write_is_said_and_the_page_works(app_env, monkeypatch):
    blocked = app_env / "cache-owned-by-root"
    blocked.write_text("not a folder")  # as unwritable to the app as a folder made by someone else's sudo
    monkeypatch.setenv("DLMI_CACHE_DIR", str(blocked))
    at = open_page("pages/dr.py", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert any(w.value.startswith("Not cached: the preprocessing cache") for w in at.warning)
    assert any(m.label.startswith("train") for m in at.metric)
