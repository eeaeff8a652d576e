"""Drift over time windows, on the real Seattle weather and on data with a known change."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from prodml_workshop.data import load_seattle_weather
from prodml_workshop.monitoring import DriftInputError, detect_data_drift
from prodml_workshop.monitoring.timeline import drift_over_time
from prodml_workshop.props.monitoring import plot_drift_timeline

matplotlib.use("Agg")

FEATURES = ["precipitation", "temp_max", "temp_min", "wind"]


@pytest.fixture(scope="module")
def weather():
    return load_seattle_weather()


def _stream(change_day=60, days=120, per_day=20, seed=0):
    """Daily rows of x ~ N(0, 1), shifted by 1 from change_day on; y never changes."""
    rng = np.random.default_rng(seed)
    times = np.repeat(pd.date_range("2024-01-01", periods=days, freq="D"), per_day)
    shift = (np.arange(times.size) >= change_day * per_day).astype(float)
    return pd.DataFrame(
        {"t": times, "x": rng.normal(shift, 1.0), "y": rng.normal(0, 1, times.size)}
    )


def test_each_window_matches_a_direct_check(weather):
    reference = weather[weather.date.dt.year == 2012][FEATURES]
    timeline = drift_over_time(reference, weather, time_col="date", freq="QS", columns=FEATURES)
    assert len(timeline) == 16 and timeline["n_rows"].sum() == len(weather)
    window = weather[(weather.date >= "2014-07-01") & (weather.date < "2014-10-01")]
    direct = detect_data_drift(reference, window[FEATURES])
    row = timeline.loc["2014-07-01"]
    assert row["share_drifted"] == direct.share_drifted
    assert [bool(row[c]) for c in FEATURES] == direct.table["drifted"].tolist()
    assert list(timeline.columns) == ["n_rows", *FEATURES, "share_drifted", "dataset_drift"]


def test_drift_appears_in_the_windows_after_a_known_change():
    data = _stream()
    reference = data[data.t < "2024-02-01"][["x", "y"]]
    timeline = drift_over_time(reference, data, time_col="t", freq="W-SUN")
    before = timeline[timeline.index < pd.Timestamp("2024-02-26")]
    after = timeline[timeline.index > pd.Timestamp("2024-03-04")]
    assert not before["x"].any() and after["x"].all()
    assert timeline["y"].mean() < 0.15  # y never changes: a rare false alarm at most


def test_a_reference_per_window_compares_like_with_like(weather):
    first_year = weather[weather.date.dt.year == 2012]
    same_month = drift_over_time(
        lambda start: first_year[first_year.date.dt.month == start.month][FEATURES],
        first_year,
        time_col="date",
        columns=FEATURES,
    )
    assert (same_month["share_drifted"] == 0).all()  # each month against itself
    whole_year = drift_over_time(
        first_year[FEATURES], first_year, time_col="date", columns=FEATURES
    )
    assert whole_year["dataset_drift"].sum() >= 6  # seasons, not drift


def test_small_windows_are_left_out_and_options_reach_the_check():
    data = _stream(days=15)
    reference = data[["x", "y"]]
    timeline = drift_over_time(
        reference, data, time_col="t", freq="W-SUN", min_rows=100, method="wasserstein"
    )
    assert timeline["n_rows"].min() >= 100
    with pytest.raises(DriftInputError, match="at least 10000 rows"):
        drift_over_time(reference, data, time_col="t", freq="W-SUN", min_rows=10_000)


def test_time_column_may_be_strings_and_must_exist():
    data = _stream(days=14).assign(t=lambda d: d.t.dt.strftime("%Y-%m-%d"))
    timeline = drift_over_time(data[["x", "y"]], data, time_col="t", freq="W-SUN")
    assert isinstance(timeline.index, pd.DatetimeIndex)
    with pytest.raises(DriftInputError, match="no time column 'when'"):
        drift_over_time(data[["x", "y"]], data, time_col="when")


def test_plot_draws_one_line_per_timeline_and_the_limit(weather):
    reference = weather[weather.date.dt.year == 2012][FEATURES]
    timeline = drift_over_time(reference, weather, time_col="date", freq="QS", columns=FEATURES)
    ax = plot_drift_timeline({"a": timeline, "b": timeline}, drift_share=0.5)
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b", "dataset drift (0.5)"]
