import pandas as pd

from lib.figures.training import history_figure


def test_epoch_ticks_are_whole_numbers_and_accuracy_spans_zero_to_one():
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.7, 0.6, 0.5], "val_loss": [0.72, 0.65, 0.6],
                            "accuracy": [0.48, 0.5, 0.51], "val_accuracy": [0.47, 0.49, 0.5]})
    figure = history_figure(history)
    assert figure.layout.xaxis.dtick == 1 and figure.layout.xaxis.tick0 == 1
    assert tuple(figure.layout.xaxis.range) == (0.5, 3.5)
    assert tuple(figure.layout.yaxis2.range) == (0, 1.02)  # accuracy: noise stays small on the whole scale
    assert figure.layout.yaxis.rangemode == "tozero"  # loss
    long = history_figure(pd.DataFrame({"epoch": range(1, 41), "loss": [1.0] * 40}), metrics=("loss",))
    assert long.layout.xaxis.dtick == 4  # about ten ticks, still whole epochs


def test_the_empty_chart_before_the_first_epoch_starts_at_epoch_one():
    figure = history_figure(pd.DataFrame())
    assert tuple(figure.layout.xaxis.range) == (0.5, 1.5) and tuple(figure.layout.yaxis.range) == (0, 1)
    assert figure.layout.annotations[0].text == "no epoch finished yet"
