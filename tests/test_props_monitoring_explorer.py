"""Controlled drift: known shifts, false alarms and misses, and the widget's sliders."""

import matplotlib
import numpy as np
import pytest

from prodml_workshop.monitoring import STAT_TESTS, ks_pvalue, wasserstein_normed
from prodml_workshop.props.monitoring.explorer import (
    NUMERIC_STATISTICS,
    alarm_rates,
    compare_statistics,
    drift_explorer,
    explore_drift,
    synthetic_samples,
)

matplotlib.use("Agg")


def test_synthetic_samples_have_the_asked_shift_spread_and_sizes():
    reference, current = synthetic_samples(20_000, shift=0.5, scale=2.0, n_reference=30_000)
    assert (reference.size, current.size) == (30_000, 20_000)
    assert current.mean() - reference.mean() == pytest.approx(0.5, abs=0.05)
    assert current.std() / reference.std() == pytest.approx(2.0, rel=0.03)
    again = synthetic_samples(100, 0.2, seed=0)
    assert np.array_equal(again[1], synthetic_samples(100, 0.2, seed=0)[1])


def test_compare_statistics_uses_the_statistics_and_thresholds():
    reference, current = synthetic_samples(300, shift=0.3, seed=2)
    table = compare_statistics(reference, current, p_threshold=0.01, distance_threshold=0.2)
    assert list(table.index) == list(NUMERIC_STATISTICS)
    assert table.loc["ks", "score"] == ks_pvalue(reference, current)
    assert table.loc["wasserstein", "score"] == wasserstein_normed(reference, current)
    assert table.loc["ks", "threshold"] == 0.01 and table.loc["psi", "threshold"] == 0.2
    for name, row in table.iterrows():
        assert row["drifted"] == STAT_TESTS[name].is_drift(row["score"], row["threshold"])


def test_evidently_switches_from_ks_to_wasserstein_above_1000_reference_rows():
    small = compare_statistics(*synthetic_samples(1000))
    large = compare_statistics(*synthetic_samples(1001))
    assert small.index[small["evidently_default"]].tolist() == ["ks"]
    assert large.index[large["evidently_default"]].tolist() == ["wasserstein"]


def test_a_tiny_shift_on_a_huge_sample_is_significant_but_not_large():
    table = explore_drift(shift=0.05, n=50_000)
    assert table.loc["ks", "verdict"] == "detected"
    assert table.loc["wasserstein", "verdict"] == "missed"


def test_a_real_shift_on_a_tiny_sample_is_missed_by_ks():
    assert explore_drift(shift=0.5, n=15).loc["ks", "verdict"] == "missed"


def test_verdicts_name_false_alarms_when_nothing_changed():
    table = explore_drift(shift=0.0, n=15)
    assert set(table["verdict"]) <= {"quiet", "false alarm"}
    assert table.loc["wasserstein", "verdict"] == "false alarm"


def test_alarm_rates_ks_false_alarms_stay_near_five_percent_distances_vanish():
    rates = alarm_rates([0.0, 0.5], [20, 2000], repeats=60, seed=1)
    assert list(rates.columns) == list(NUMERIC_STATISTICS)
    assert rates.loc[(0.0, 2000), "ks"] <= 0.15
    assert rates.loc[(0.0, 20), "wasserstein"] > 0.5
    assert rates.loc[(0.0, 2000), "wasserstein"] == 0.0
    assert rates.loc[(0.5, 2000)].min() == 1.0


def test_drift_explorer_has_the_sliders_and_renders():
    explorer = drift_explorer()
    names = [child.description for child in explorer.children[:-1]]
    assert names == [
        "shift (std)",
        "sample size",
        "spread (std)",
        "p-value threshold",
        "distance threshold",
        "seed (new draw)",
    ]
    explorer.children[0].value = 0.7  # moving a slider re-runs the case
    assert explorer.kwargs["shift"] == 0.7
