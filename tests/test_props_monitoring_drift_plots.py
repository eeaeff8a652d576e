"""Pictures of drift: scores against thresholds by verdict, Page-Hinkley's statistic."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from prodml_workshop.monitoring import PageHinkley, detect_change
from prodml_workshop.props.monitoring.drift_plots import (
    VERDICT_COLOURS,
    page_hinkley_trace,
    plot_drift_scores,
    plot_page_hinkley,
)
from prodml_workshop.props.monitoring.explorer import explore_drift

matplotlib.use("Agg")


def test_page_hinkley_trace_alarms_where_detect_change_does_and_stays_under_the_threshold():
    rng = np.random.default_rng(4)
    losses = np.r_[rng.exponential(1.0, 400), rng.exponential(2.0, 400)]  # a regression's errors
    trace = page_hinkley_trace(losses, PageHinkley(threshold=30))

    first_alarm = int(np.flatnonzero(trace["alarm"])[0])
    assert first_alarm == detect_change(losses, PageHinkley(threshold=30))
    assert trace["statistic"].max() <= 30  # it restarts from 0 after each alarm
    assert trace.loc[first_alarm, "statistic"] == 0


def test_page_hinkley_trace_keeps_a_series_index():
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    trace = page_hinkley_trace(
        pd.Series(np.r_[np.zeros(30), np.ones(30)], index=days), PageHinkley(threshold=3)
    )
    assert trace.index.equals(days)
    assert trace["alarm"].sum() >= 1


def test_plot_page_hinkley_draws_the_threshold_alarms_and_change():
    trace = page_hinkley_trace(np.r_[np.zeros(50), np.ones(50)], PageHinkley(threshold=5))
    ax = plot_page_hinkley(trace, 5, change=50, title="errors")
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["statistic", "threshold", "alarm", "the change"]
    assert ax.get_title() == "errors"


def test_plot_drift_scores_colours_each_case_by_its_verdict():
    tables = {
        "no change": explore_drift(n=200, seed=2),
        "+1 std": explore_drift(shift=1.0, n=200, seed=2),
    }
    axes = plot_drift_scores(tables)
    assert len(axes) == len(tables["+1 std"])
    dots = axes[0].collections[0]
    expected = [VERDICT_COLOURS[tables[name].loc["ks", "verdict"]] for name in tables]
    assert [matplotlib.colors.to_hex(colour) for colour in dots.get_facecolors()] == [
        matplotlib.colors.to_hex(colour) for colour in expected
    ]
    assert axes[0].get_xscale() == "log"


def test_plot_drift_scores_refuses_empty_or_mismatched_tables():
    with pytest.raises(ValueError, match="tables is empty"):
        plot_drift_scores({})
    one = explore_drift(n=50)
    with pytest.raises(ValueError, match="same statistics"):
        plot_drift_scores({"a": one, "b": one.iloc[:2]})
