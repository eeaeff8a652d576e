"""Data quality: the reference profile of a package, and records out of its ranges or unseen."""

import json

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.packaging import (
    InvalidReferenceError,
    feature_profile,
    quality_issues,
    quality_reasons,
)


@pytest.fixture
def reference():
    """Columns the course never uses: spaces in names, numpy ints, bools, a categorical."""
    return pd.DataFrame(
        {
            "wind speed": [0.5, 3.0, np.nan, 10.5],
            "n stations": np.array([3, 4, 4, 9], dtype=np.int16),
            "is weekend": [True, False, False, True],
            "sky cover": pd.Categorical(["clear", "cloudy", None, "clear"]),
            "station id": ["a-1", "b-2", "a-1", None],
            "observed at": pd.to_datetime(["2024-01-01"] * 4),
        }
    )


def test_profile_records_ranges_and_categories_json_safe(reference):
    profile = feature_profile(reference)
    assert profile["margin"] == 0.1 and profile["n_rows"] == 4
    features = profile["features"]
    assert features["wind speed"] == {"kind": "numeric", "min": 0.5, "max": 10.5, "missing": 0.25}
    assert features["n stations"] == {"kind": "numeric", "min": 3, "max": 9, "missing": 0.0}
    assert type(features["n stations"]["min"]) is int  # not np.int16
    assert features["is weekend"] == {
        "kind": "categorical",
        "categories": [False, True],
        "missing": 0.0,
    }
    assert features["sky cover"]["categories"] == ["clear", "cloudy"]
    assert features["sky cover"]["missing"] == 0.25
    assert features["station id"]["categories"] == ["a-1", "b-2"]
    assert "observed at" not in features  # datetimes are not checked
    assert json.loads(json.dumps(profile)) == profile


def test_profile_leaves_out_a_column_without_values():
    profile = feature_profile(pd.DataFrame({"empty": [np.nan, np.nan], "x": [1.0, 2.0]}))
    assert list(profile["features"]) == ["x"]


@pytest.mark.parametrize("bad", [pd.DataFrame(), np.zeros((3, 2)), None])
def test_profile_refuses_what_is_not_a_non_empty_frame(bad):
    with pytest.raises(InvalidReferenceError, match="non-empty pandas DataFrame"):
        feature_profile(bad)


def test_profile_refuses_a_negative_margin(reference):
    with pytest.raises(InvalidReferenceError, match="margin must be 0 or more"):
        feature_profile(reference, margin=-0.1)


def test_in_range_values_and_values_missing_in_the_reference_too_are_clean(reference):
    profile = feature_profile(reference)
    assert quality_issues(reference, profile) == [[]] * 4
    missing = pd.DataFrame({name: [None, np.nan] for name in ["wind speed", "sky cover"]})
    assert quality_issues(missing, profile) == [[], []]


def test_a_value_missing_where_the_reference_never_was_is_named_with_its_reason(reference):
    profile = feature_profile(reference)
    missing = pd.DataFrame({name: [None] for name in reference.columns})
    assert quality_issues(missing, profile) == [["n stations", "is weekend"]]
    reasons = quality_reasons(missing.assign(**{"n stations": [np.nan]}), profile)[0]
    assert reasons["n stations"] == "missing, and never missing in the reference"
    assert reasons["is weekend"] == "missing, and never missing in the reference"


def test_a_value_100_times_past_the_range_is_named_with_its_reason(reference):
    profile = feature_profile(reference)
    frame = reference.head(2).assign(**{"wind speed": [1050.0, 5.0]})
    assert quality_issues(frame, profile) == [["wind speed"], []]
    reason = quality_reasons(frame, profile)[0]["wind speed"]
    assert reason == "1050.0 is outside the reference range [0.5, 10.5]"


def test_the_margin_tolerates_values_just_past_the_range(reference):
    profile = feature_profile(reference)  # width 10: 1.0 past either end is still fine
    frame = pd.DataFrame({"wind speed": [11.5, -0.5, 11.6, -0.6]})
    assert quality_issues(frame, profile) == [[], [], ["wind speed"], ["wind speed"]]
    assert quality_issues(frame, profile, margin=0) == [["wind speed"]] * 4
    strict = feature_profile(reference, margin=0)
    assert quality_issues(frame.head(1), strict) == [["wind speed"]]


def test_numpy_ints_and_nullable_ints_are_checked_as_numbers(reference):
    profile = feature_profile(reference)
    frame = pd.DataFrame({"n stations": pd.array([4, 900, None], dtype="Int64")})
    assert quality_issues(frame, profile) == [[], ["n stations"], ["n stations"]]  # never missing
    frame = pd.DataFrame({"n stations": np.array([9, 3, 12], dtype=np.uint8)})
    assert quality_issues(frame, profile) == [[], [], ["n stations"]]  # past 9 + 0.6


def test_a_constant_feature_flags_any_other_value():
    profile = feature_profile(pd.DataFrame({"version": [2, 2, 2]}))
    assert quality_issues(pd.DataFrame({"version": [2, 3]}), profile) == [[], ["version"]]


def test_unseen_categories_and_bools_are_named(reference):
    profile = feature_profile(reference)
    frame = pd.DataFrame(
        {"sky cover": ["clear", "hail"], "station id": ["z-9", "a-1"], "is weekend": [False, 1.5]}
    )
    assert quality_issues(frame, profile) == [["station id"], ["is weekend", "sky cover"]]
    reasons = quality_reasons(frame, profile)
    assert reasons[1]["sky cover"] == "'hail' is not a category of the reference"


def test_text_in_a_numeric_feature_is_an_issue(reference):
    profile = feature_profile(reference)
    frame = pd.DataFrame({"wind speed": ["3.0", "calm"]}, dtype=object)
    assert quality_issues(frame, profile) == [["wind speed"], ["wind speed"]]
    assert quality_reasons(frame, profile)[1]["wind speed"] == "'calm' is not a number"


def test_columns_outside_the_profile_are_ignored_and_absent_ones_not_checked(reference):
    profile = feature_profile(reference)
    frame = pd.DataFrame({"unknown": [1e9], "wind speed": [1.0]})
    assert quality_issues(frame, profile) == [[]]
    assert quality_issues(pd.DataFrame(index=range(2)), profile) == [[], []]


def test_logged_json_inputs_are_checked_like_frames(reference):
    # what logged_inputs gives from the prediction log: object columns of JSON values
    profile = feature_profile(reference)
    rows = [{"wind speed": 3, "sky cover": "clear"}, {"wind speed": 1e4, "sky cover": None}]
    assert quality_issues(pd.DataFrame(rows), profile) == [[], ["wind speed"]]
