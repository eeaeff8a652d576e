"""latency_by_batch_size(): every model at every batch size, with positive times, and its plot."""

import matplotlib
import pytest

from prodml_workshop.packaging import load_model
from prodml_workshop.props.scaling import latency_by_batch_size, plot_batch_sizes

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def models(course_packages):
    return {fmt: load_model(course_packages(fmt)) for fmt in ("skops", "onnx")}


def test_curve_has_every_model_and_batch_size_with_positive_times(models, penguin_inputs):
    sizes = (1, 10, 1_000)  # 1,000 > 344 penguins: rows are drawn with replacement
    curve = latency_by_batch_size(models, penguin_inputs, batch_sizes=sizes, min_seconds=0.01)
    assert len(curve) == len(models) * len(sizes)
    for _, group in curve.groupby("model"):
        assert group["batch_size"].tolist() == list(sizes)
    assert (curve[["ms_per_call", "us_per_row", "rows_per_s"]] > 0).all(axis=None)
    assert (curve["calls"] >= 3).all()
    rows_per_s = curve.set_index(["model", "batch_size"])["rows_per_s"]
    for name in models:  # the fixed cost of a call is shared by the rows of a batch
        assert rows_per_s[name, 1_000] > 10 * rows_per_s[name, 1]


def test_curve_refuses_a_batch_size_that_is_not_a_positive_integer(models, penguin_inputs):
    with pytest.raises(ValueError, match="positive integers"):
        latency_by_batch_size(models, penguin_inputs, batch_sizes=(0, 10))


def test_plot_draws_one_line_per_model(models, penguin_inputs):
    curve = latency_by_batch_size(models, penguin_inputs, batch_sizes=(1, 10), min_seconds=0.01)
    ax = plot_batch_sizes(curve)
    assert len(ax.get_lines()) == len(models)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
