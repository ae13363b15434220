import numpy as np
import plotly.graph_objects as go
import pytest

from lib.figures.segmentation import score_histogram
from lib.figures.tables import chart_table, outcome_counts


def test_a_histograms_table_counts_what_numpy_counts():
    values = np.array([0.91, 0.92, 0.95, 0.99, 1.0])
    rows = chart_table(score_histogram(values))
    assert sum(r["count"] for r in rows) == len(values)
    for row in rows:  # each bin's count, recounted here
        inside = ((values >= row["bin from"] - 1e-9) & (values < row["bin to"] - 1e-9)).sum()
        assert row["count"] == inside or (row["bin to"] >= 1.0 and row["count"] == inside + (values == 1.0).sum())


def test_lines_and_bars_give_one_row_per_point_named_by_axis():
    fig = go.Figure([go.Scatter(x=[1, 2], y=[0.5, np.nan], name="train"), go.Bar(x=["a"], y=[3])])
    fig.update_layout(xaxis_title="epoch", yaxis_title="loss")
    assert chart_table(fig) == [{"series": "train", "epoch": 1, "loss": 0.5}, {"series": "train", "epoch": 2, "loss": None},
                                {"series": "series 2", "epoch": "a", "loss": 3}]


def test_outcome_counts():
    assert outcome_counts(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0])) == {"tp": 1, "fp": 1, "fn": 1, "tn": 1}
    with pytest.raises(ValueError, match=r"\(2,\) and \(3,\)"):
        outcome_counts(np.zeros(2), np.zeros(3))
