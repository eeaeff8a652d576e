"""Request types built from a manifest: strict, finite, nullable only where pandas had NaN."""

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter, ValidationError

from prodml_workshop.serving.validation import (
    MAX_RECORDS,
    REQUEST_ID,
    features,
    record_model,
    records_to_input,
    records_type,
    to_records,
)

MANIFEST = {
    "input_schema": {
        "type": "dataframe",
        "columns": [
            {"name": "island", "dtype": "string"},
            {"name": "mass", "dtype": "float"},
            {"name": "year", "dtype": "int"},
            {"name": "tagged", "dtype": "bool"},
        ],
    }
}
GOOD = {"island": "Dream", "mass": 3750.5, "year": 2008, "tagged": True}


def _errors(record):
    with pytest.raises(ValidationError) as error:
        record_model(MANIFEST).model_validate_json(record)
    return [(e["loc"], e["type"]) for e in error.value.errors()]


def test_record_accepts_valid_values_and_null_in_float_and_string_columns():
    Record = record_model(MANIFEST)
    assert Record.model_validate(GOOD).model_dump() == GOOD
    assert Record.model_validate({**GOOD, "mass": 3750}).mass == 3750.0  # an int is a number
    assert Record.model_validate({**GOOD, "island": None, "mass": None}).island is None


@pytest.mark.parametrize(
    ("json", "expected"),
    [
        ('{"island": "Dream", "mass": 1.0, "year": 2008}', [(("tagged",), "missing")]),
        ('{"island": "Dream", "mass": 1.0, "year": 2008, "tagged": true, "x": 1}',
         [(("x",), "extra_forbidden")]),
        ('{"island": "Dream", "mass": "1.0", "year": 2008, "tagged": true}',
         [(("mass",), "float_type")]),
        ('{"island": 7, "mass": 1.0, "year": 2008, "tagged": true}',
         [(("island",), "string_type")]),
        ('{"island": "Dream", "mass": NaN, "year": 2008, "tagged": true}',
         [(("mass",), "finite_number")]),
        ('{"island": "Dream", "mass": -Infinity, "year": 2008, "tagged": true}',
         [(("mass",), "finite_number")]),
        ('{"island": "Dream", "mass": 1.0, "year": null, "tagged": true}',
         [(("year",), "int_type")]),
        ('{"island": "Dream", "mass": 1.0, "year": 2008.5, "tagged": true}',
         [(("year",), "int_type")]),
        ('{"island": "Dream", "mass": 1.0, "year": 99999999999999999999, "tagged": true}',
         [(("year",), "less_than_equal")]),
        ('{"island": "Dream", "mass": 1.0, "year": 2008, "tagged": 1}',
         [(("tagged",), "bool_type")]),
    ],
)  # fmt: skip
def test_record_refuses_each_kind_of_bad_value_naming_the_field(json, expected):
    assert _errors(json) == expected


def test_records_type_takes_one_record_or_a_bounded_list_and_stamps_the_request_id():
    records = TypeAdapter(records_type(record_model(MANIFEST)))
    token = REQUEST_ID.set("req-7")
    try:
        assert [r.request_id for r in records.validate_python(GOOD)] == ["req-7"]
        assert len(records.validate_python([GOOD] * MAX_RECORDS)) == MAX_RECORDS
    finally:
        REQUEST_ID.reset(token)
    for bad in ([], [GOOD] * (MAX_RECORDS + 1)):
        with pytest.raises(ValidationError):
            records.validate_python(bad)


def test_records_to_input_gives_the_model_nan_for_missing_values_and_schema_dtypes():
    Record = record_model(MANIFEST)
    frame = records_to_input(
        [
            Record.model_validate(GOOD),
            Record.model_validate({**GOOD, "island": None, "mass": None}),
        ],
        MANIFEST,
    )
    assert list(frame.columns) == ["island", "mass", "year", "tagged"]
    assert frame.dtypes.astype(str).tolist() == ["object", "float64", "int64", "bool"]
    missing = frame.loc[1, "island"]
    assert isinstance(missing, float) and missing != missing  # NaN, as in the training data
    assert np.isnan(frame.loc[1, "mass"])


def test_array_schema_names_features_x0_x1_and_gives_an_array():
    manifest = {"input_schema": {"type": "ndarray", "n_features": 2, "dtype": "float32"}}
    assert features(manifest) == [("x0", "float"), ("x1", "float")]
    Record = record_model(manifest)
    X = records_to_input([Record(x0=1.0, x1=None)], manifest)
    assert X.dtype == np.float32 and X.shape == (1, 2) and np.isnan(X[0, 1])


def test_a_package_without_input_schema_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match="sample_input"):
        record_model({"input_schema": None})


def test_to_records_sends_missing_values_as_none():
    frame = pd.DataFrame({"island": ["Dream", np.nan], "mass": [np.float64(3.5), np.nan]})
    assert to_records(frame) == [{"island": "Dream", "mass": 3.5}, {"island": None, "mass": None}]
    assert type(to_records(frame)[0]["mass"]) is float


def test_any_column_name_is_a_feature_spaces_underscores_and_record_members_included():
    names = ["bill length (mm)", "_id", "copy", "request_id", "model_config", "feature_1"]
    manifest = {
        "input_schema": {
            "type": "dataframe",
            "columns": [{"name": name, "dtype": "float"} for name in names],
        }
    }
    Record = record_model(manifest)
    assert Record.model_json_schema()["required"] == names  # the OpenAPI page shows them
    record = dict(zip(names, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], strict=True))
    token = REQUEST_ID.set("req-7")
    try:
        [validated] = TypeAdapter(records_type(Record)).validate_python(record)
    finally:
        REQUEST_ID.reset(token)
    assert validated.request_id == "req-7"  # a feature named request_id does not hide it
    assert validated.model_dump(by_alias=True) == record
    frame = records_to_input([validated], manifest)
    assert frame.columns.tolist() == names and frame.iloc[0].tolist() == list(record.values())
    renamed = {**{k: v for k, v in record.items() if k != "copy"}, "feature_2": 3.0}
    with pytest.raises(ValidationError, match="feature_2"):  # only the feature names count
        Record.model_validate(renamed)
