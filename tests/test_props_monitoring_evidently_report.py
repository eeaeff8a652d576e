"""detect_data_drift agrees with Evidently's DataDriftPreset, column by column."""

import warnings

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.data import load_seattle_weather
from prodml_workshop.monitoring import detect_data_drift
from prodml_workshop.props.monitoring import evidently_drift_result, run_evidently_drift

CATEGORIES = np.array(["red", "green", "blue", "grey"], dtype=object)


def _numeric(rng, n, shift):
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "y": rng.exponential(1 + shift, n)})


def _discrete(rng, n, shift):
    # Floats with at most 5 distinct values: compared as categories.
    return pd.DataFrame({"level": rng.integers(0, 4, n) + (rng.random(n) < shift).astype(float)})


def _categorical(rng, n, shift):
    weights = [0.4 - shift / 2, 0.3, 0.2, 0.1 + shift / 2]
    return pd.DataFrame({"colour": rng.choice(CATEGORIES, n, p=weights)})


def _binary(rng, n, shift):
    return pd.DataFrame(
        {"clicked": (rng.random(n) < 0.3 + shift).astype(int), "vip": rng.random(n) < 0.2 + shift}
    )


def _mixed(rng, n, shift):
    frames = [_numeric(rng, n, shift), _categorical(rng, n, shift), _binary(rng, n, shift)]
    frames.append(pd.DataFrame({"count": rng.poisson(20 + 10 * shift, n)}))  # int, > 10 values
    return pd.concat(frames, axis=1)


KINDS = {
    "numeric": _numeric,
    "discrete": _discrete,
    "categorical": _categorical,
    "binary": _binary,
    "mixed": _mixed,
}


def _evidently(reference, current):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = run_evidently_drift(reference, current)
    return snapshot, evidently_drift_result(snapshot)


def _assert_agree(reference, current, *, same_dataset_share=True):
    ours = detect_data_drift(reference, current)
    snapshot, theirs = _evidently(reference, current)
    merged = ours.table.merge(theirs.table, on="column", suffixes=("", "_ev"), validate="1:1")
    assert len(merged) == len(ours.table) == len(theirs.table)
    pd.testing.assert_series_equal(merged["type"], merged["type_ev"], check_names=False)
    pd.testing.assert_series_equal(merged["test"], merged["test_ev"], check_names=False)
    pd.testing.assert_series_equal(merged["drifted"], merged["drifted_ev"], check_names=False)
    np.testing.assert_allclose(merged["statistic"], merged["statistic_ev"], rtol=1e-7, atol=1e-12)
    share = snapshot.dict()["metrics"][0]["value"]["share"]  # Evidently's DriftedColumnsCount
    assert (ours.share_drifted == pytest.approx(share)) == same_dataset_share
    assert ours.dataset_drift == theirs.dataset_drift
    return ours


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("n_reference", "n_current"), [(300, 200), (1500, 800)])
@pytest.mark.parametrize("shift", [0.0, 0.3])
def test_verdicts_and_test_names_agree_with_evidently(kind, n_reference, n_current, shift):
    rng = np.random.default_rng(7)
    reference = KINDS[kind](rng, n_reference, 0.0)
    current = KINDS[kind](rng, n_current, shift)
    ours = _assert_agree(reference, current)
    if shift and kind in ("numeric", "categorical", "mixed"):
        assert ours.dataset_drift


def test_small_and_large_references_use_evidentlys_default_tests():
    rng = np.random.default_rng(0)
    small = detect_data_drift(_mixed(rng, 300, 0), _mixed(rng, 300, 0)).table
    large = detect_data_drift(_mixed(rng, 1001, 0), _mixed(rng, 300, 0)).table
    assert dict(zip(small["column"], small["test"], strict=True)) == {
        "x": "ks",
        "y": "ks",
        "colour": "chisquare",
        "clicked": "z",
        "vip": "z",
        "count": "ks",
    }
    assert set(large.loc[large["type"] == "numerical", "test"]) == {"wasserstein"}
    assert set(large.loc[large["type"] == "categorical", "test"]) == {"jensenshannon"}


@pytest.mark.slow  # imports and runs Evidently
def test_verdicts_agree_with_evidently_on_the_seattle_weather_years():
    weather = load_seattle_weather()
    ours = _assert_agree(weather[:365], weather[-365:])
    # A label present in 2015 but never in 2012 makes the chi-square p-value 0.
    assert ours.table.set_index("column").loc["weather", "statistic"] == 0.0


@pytest.mark.slow  # imports and runs Evidently
def test_verdicts_agree_with_evidently_with_missing_values():
    rng = np.random.default_rng(3)
    reference, current = _mixed(rng, 400, 0.0), _mixed(rng, 300, 0.2)
    reference.loc[::7, "x"] = np.nan
    current.loc[::5, "y"] = np.nan
    current.loc[::4, "colour"] = None
    _assert_agree(reference, current)


@pytest.mark.slow  # imports and runs Evidently
def test_infinite_values_are_dropped_as_evidentlys_column_verdicts_drop_them():
    # Evidently's per-column ValueDrift drops +-inf; its dataset-level DriftedColumnsCount only
    # cleans columns that hold a NaN, so there y keeps its infinities and counts as drifted.
    # Our verdicts, and our share, follow the per-column ones.
    rng = np.random.default_rng(3)
    reference, current = _mixed(rng, 400, 0.0), _mixed(rng, 300, 0.0)
    current.loc[::5, "y"] = np.inf
    ours = _assert_agree(reference, current, same_dataset_share=False)
    assert "y" not in ours.drifted_columns


@pytest.mark.slow  # imports and runs Evidently
def test_verdicts_agree_with_evidently_on_category_dtype_with_unseen_categories():
    rng = np.random.default_rng(4)
    dtype = pd.CategoricalDtype(["red", "green", "blue", "grey", "never"])
    reference = _categorical(rng, 300, 0.0).astype(dtype)
    current = _categorical(rng, 200, 0.0).astype(dtype)
    ours = _assert_agree(reference, current)
    assert ours.table.loc[0, "test"] == "chisquare"


@pytest.mark.slow  # imports and runs Evidently
def test_evidently_result_refuses_a_snapshot_without_the_drift_preset():
    from evidently import Report
    from evidently.presets import DataSummaryPreset

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report([DataSummaryPreset()]).run(frame, frame)
    with pytest.raises(ValueError, match="no DataDriftPreset result"):
        evidently_drift_result(snapshot)
