"""The Screening page in a real browser: upload a CSV, drag the operating point, the decision curve's marker follows
(one page load)."""

import numpy as np
import pytest

from lib.figures.screening import MARKER_NAME
from lib.metrics.decision import net_benefit
from lib.metrics.roc import roc, youden_index
from tests.browser.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser

PAD, SIZE, VIEW = 56, 400, 476  # the component's SVG geometry (ui/components/roc_point.js)
_MARKER = f"""() => {{
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {{
        const trace = (plot.data || []).find(t => t.name === {MARKER_NAME!r});
        if (trace) return [trace.x[0], trace.y[0]];
    }}
    return null;
}}"""


def test_upload_drag_and_the_decision_curves_marker_moves(page, app_url, tmp_path):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 150)
    scores = np.clip(0.3 + 0.35 * labels + rng.normal(0, 0.18, 150), 0.01, 0.99).round(4)
    csv = tmp_path / "mine.csv"
    csv.write_text("score,label\n" + "".join(f"{s},{y}\n" for s, y in zip(scores, labels)))
    curve = roc(scores, labels)
    youden = float(curve.thresholds[youden_index(curve)])

    page.goto(app_url + "/screening")
    page.locator("input[type=file]").first.set_input_files(str(csv))
    page.wait_for_function(_MARKER, timeout=90_000)
    wait_idle(page)
    start = page.evaluate(_MARKER)
    assert start[0] == pytest.approx(youden, abs=1e-9)
    assert start[1] == pytest.approx(net_benefit(scores, labels, youden), abs=1e-9)

    svg = page.locator(".roc-root svg")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    scale = box["width"] / VIEW
    target = int(np.argmin(np.abs(curve.fpr - 0.6) + np.abs(curve.tpr - 0.97)))  # far right: a low threshold
    handle = page.locator(".roc-root .handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + (PAD + curve.fpr[target] * SIZE) * scale,
                    box["y"] + (PAD + (1 - curve.tpr[target]) * SIZE) * scale, steps=15)
    page.mouse.up()
    page.wait_for_function(f"() => {{ const m = ({_MARKER})(); return m && m[0] !== {start[0]}; }}", timeout=60_000)
    wait_idle(page)
    moved = page.evaluate(_MARKER)
    threshold = float(page.get_by_label("Threshold (type, or use the arrow keys)").input_value())
    assert moved[0] == pytest.approx(threshold, abs=1e-4) and moved[0] < start[0]
    assert moved[1] == pytest.approx(net_benefit(scores, labels, moved[0]), abs=1e-9)
    page.get_by_text("Decision curve").first.scroll_into_view_if_needed()
    screenshot(page, "screening-decision-curve")
