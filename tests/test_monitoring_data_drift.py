"""detect_data_drift: test choice, table, dataset verdict and errors on bad input."""

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.monitoring import (
    DataDriftResult,
    DriftInputError,
    default_test,
    detect_data_drift,
    infer_column_type,
    ks_pvalue,
    wasserstein_normed,
)


@pytest.fixture
def frames():
    rng = np.random.default_rng(0)

    def frame(n, shift):
        return pd.DataFrame(
            {
                "when": pd.date_range("2024-01-01", periods=n, freq="h"),
                "temp": rng.normal(10 + 5 * shift, 3, n),
                "wind": rng.normal(4, 1, n),
                "sky": rng.choice(np.array(["sun", "rain", "fog"], dtype=object), n),
            }
        )

    return frame(400, 0.0), frame(300, 1.0)


@pytest.mark.parametrize(
    ("column_type", "n_reference", "n_values", "test"),
    [
        ("numerical", 1000, 6, "ks"),
        ("numerical", 1000, 5, "chisquare"),
        ("numerical", 1000, 2, "z"),
        ("categorical", 1000, 3, "chisquare"),
        ("categorical", 1000, 2, "z"),
        ("numerical", 1001, 6, "wasserstein"),
        ("numerical", 1001, 5, "jensenshannon"),
        ("categorical", 1001, 50, "jensenshannon"),
    ],
)
def test_default_test_follows_evidentlys_choice_by_type_size_and_distinct_values(
    column_type, n_reference, n_values, test
):
    assert default_test(column_type, n_reference, n_values) == test


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([0.5, 1.5]), "numerical"),
        (pd.Series(range(11)), "numerical"),
        (pd.Series([0, 1, 2] * 4), "categorical"),
        (pd.Series([True, False]), "categorical"),
        (pd.Series(["a", "b", "a", "b"]), "categorical"),
        (pd.Series(["a", "b", "c", "d"]), "text"),
        (pd.Series(pd.to_datetime(["2024-01-01"])), "datetime"),
        (pd.Series([1, 2], dtype="uint8"), "unknown"),
    ],
)
def test_infer_column_type_reads_dtype_and_distinct_values_like_evidently(values, expected):
    assert infer_column_type(values) == expected


def test_result_table_is_tidy_and_skips_the_datetime_column(frames):
    reference, current = frames
    result = detect_data_drift(reference, current)
    assert list(result.table.columns) == [
        "column",
        "type",
        "test",
        "statistic",
        "threshold",
        "drifted",
    ]
    assert result.table["column"].tolist() == ["temp", "wind", "sky"]
    assert result.table["drifted"].dtype == bool
    row = result.table.set_index("column").loc["temp"]
    assert (row["type"], row["test"], row["threshold"]) == ("numerical", "ks", 0.05)
    assert row["statistic"] == pytest.approx(ks_pvalue(reference["temp"], current["temp"]))


def test_dataset_drifts_when_at_least_half_of_the_columns_drift(frames):
    reference, current = frames
    result = detect_data_drift(reference, current)
    assert result.drifted_columns == ["temp"]
    assert (result.n_drifted, result.share_drifted, result.dataset_drift) == (1, 1 / 3, False)
    assert detect_data_drift(reference, current, columns=["temp", "wind"]).dataset_drift
    assert detect_data_drift(reference, current, drift_share=0.3).dataset_drift


def test_summary_and_repr_name_the_drifted_columns(frames):
    result = detect_data_drift(*frames)
    assert "1 of 3 columns drifted" in result.summary()
    assert "temp: drift" in result.summary()
    assert repr(result) == "DataDriftResult(dataset_drift=False, drifted=1/3, columns=['temp'])"


def test_method_and_threshold_override_the_defaults(frames):
    reference, current = frames
    table = detect_data_drift(
        reference, current, columns=["temp", "wind"], method="wasserstein", threshold=0.5
    ).table.set_index("column")
    assert table["test"].tolist() == ["wasserstein", "wasserstein"]
    assert table["threshold"].tolist() == [0.5, 0.5]
    assert table.loc["temp", "statistic"] == pytest.approx(
        wasserstein_normed(reference["temp"], current["temp"])
    )


def test_psi_and_jensen_shannon_can_be_asked_for_numbers_and_categories(frames):
    for method in ("psi", "jensenshannon"):
        table = detect_data_drift(*frames, method=method).table
        assert set(table["test"]) == {method}
        assert table.set_index("column").loc["temp", "drifted"]


def test_column_types_turn_numbers_into_categories():
    reference = pd.DataFrame({"zip": [98101, 98102, 98103] * 100})
    current = pd.DataFrame({"zip": [98101, 98102, 98104] * 100})
    table = detect_data_drift(reference, current, column_types={"zip": "categorical"}).table
    assert table.loc[0, ["type", "test", "statistic"]].tolist() == ["categorical", "chisquare", 0]


def test_large_numeric_sample_is_sorted_once_and_compared_with_wasserstein():
    rng = np.random.default_rng(1)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 5000)})
    current = pd.DataFrame({"x": rng.normal(0.05, 1, 7000)})
    row = detect_data_drift(reference, current).table.iloc[0]
    assert (row["test"], bool(row["drifted"])) == ("wasserstein", False)
    assert row["statistic"] == pytest.approx(wasserstein_normed(reference["x"], current["x"]))


def test_empty_frame_is_refused():
    with pytest.raises(DriftInputError, match="current data is empty"):
        detect_data_drift(pd.DataFrame({"x": [1.0]}), pd.DataFrame({"x": []}))


def test_a_non_dataframe_is_refused():
    with pytest.raises(DriftInputError, match="must be a pandas DataFrame, not ndarray"):
        detect_data_drift(np.zeros((3, 2)), pd.DataFrame({"x": [1.0]}))


def test_mismatched_columns_are_named(frames):
    reference, current = frames
    with pytest.raises(DriftInputError, match=r"only in the reference \['wind'\]"):
        detect_data_drift(reference, current.drop(columns="wind"))
    with pytest.raises(DriftInputError, match=r"\['gust'\] are missing from the reference"):
        detect_data_drift(reference, current.assign(gust=1.0), columns=["temp", "gust"])


def test_an_all_missing_column_is_named(frames):
    reference, current = frames
    with pytest.raises(DriftInputError, match="'wind' has no finite value in the current"):
        detect_data_drift(reference, current.assign(wind=np.nan))
    with pytest.raises(DriftInputError, match="'sky' has only missing values in the reference"):
        detect_data_drift(reference.assign(sky=None), current)


def test_a_numeric_test_on_a_categorical_column_is_refused_by_name(frames):
    with pytest.raises(DriftInputError, match="'ks' test needs numbers but column 'sky'"):
        detect_data_drift(*frames, method="ks")


def test_a_column_declared_numerical_that_holds_text_is_named(frames):
    with pytest.raises(DriftInputError, match="'sky' is compared as numerical"):
        detect_data_drift(*frames, column_types={"sky": "numerical"})


def test_free_text_and_explicit_datetime_columns_are_refused_by_name(frames):
    reference, current = frames
    ids = pd.Series([f"id-{i}" for i in range(400)], dtype=object)
    with pytest.raises(DriftInputError, match="'note' looks like free text"):
        detect_data_drift(reference.assign(note=ids), current.assign(note=ids[:300]))
    with pytest.raises(DriftInputError, match="'when' is datetime"):
        detect_data_drift(reference, current, columns=["when"])


def test_unknown_method_and_column_type_are_refused(frames):
    with pytest.raises(ValueError, match="Unknown method 'kl'"):
        detect_data_drift(*frames, method="kl")
    with pytest.raises(ValueError, match="column_types values"):
        detect_data_drift(*frames, column_types={"temp": "text"})


def test_result_is_a_plain_dataclass_that_can_be_built_from_a_table():
    table = pd.DataFrame(
        {
            "column": ["a", "b"],
            "type": ["numerical"] * 2,
            "test": ["ks"] * 2,
            "statistic": [0.01, 0.5],
            "threshold": [0.05] * 2,
            "drifted": [True, False],
        }
    )
    assert DataDriftResult(table).dataset_drift
    assert not DataDriftResult(table, drift_share=0.6).dataset_drift
