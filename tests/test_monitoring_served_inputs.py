"""logged_inputs: a prediction log's JSON inputs as a feature frame, timed by any column."""

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.monitoring import DriftInputError, detect_data_drift, logged_inputs


def _log(records, timestamps=None):
    n = len(records)
    return pd.DataFrame(
        {
            "timestamp": timestamps or [f"2024-05-0{i + 1}T12:00:00" for i in range(n)],
            "request_id": [f"r{i}" for i in range(n)],
            "model_version": ["1"] * n,
            "inputs": records,
            "outputs": [json.dumps({"prediction": "sun"})] * n,
        }
    )


def test_json_inputs_become_feature_columns_with_the_timestamp():
    log = _log(
        [json.dumps({"temp": 20.5, "sky": "sun"}), json.dumps({"temp": 12.0, "sky": "rain"})]
    )
    features = logged_inputs(log)
    assert features.columns.tolist() == ["timestamp", "temp", "sky"]
    assert features["temp"].tolist() == [20.5, 12.0]
    assert features["timestamp"].iloc[1] == pd.Timestamp("2024-05-02T12:00:00")


def test_dict_inputs_and_epoch_seconds_are_accepted_and_missing_features_are_nan():
    log = _log([{"temp": 1.0}, {"temp": 2.0, "wind": 3.0}], timestamps=[0.0, 60.0])
    features = logged_inputs(log)
    assert features["timestamp"].tolist() == [pd.Timestamp(0, unit="s"), pd.Timestamp(60, unit="s")]
    assert np.isnan(features["wind"].iloc[0])


def test_a_log_read_from_sqlite_feeds_the_drift_check(tmp_path):
    rng = np.random.default_rng(0)
    connection = sqlite3.connect(tmp_path / "log.sqlite")
    records = [json.dumps({"temp": float(t)}) for t in rng.normal(25, 3, 200)]
    _log(records, [f"2024-06-01T00:{i // 60:02d}:{i % 60:02d}" for i in range(200)]).to_sql(
        "predictions", connection, index=False
    )
    log = pd.read_sql("SELECT * FROM predictions", connection)
    connection.close()
    production = logged_inputs(log)
    training = pd.DataFrame({"temp": rng.normal(15, 3, 300)})
    assert detect_data_drift(training, production[["temp"]]).drifted_columns == ["temp"]


def test_a_row_that_is_not_one_json_record_is_named():
    with pytest.raises(DriftInputError, match=r"Row 1 .* not valid JSON"):
        logged_inputs(_log(['{"temp": 1}', "{temp"]))
    with pytest.raises(DriftInputError, match=r"Row 0 .* type list"):
        logged_inputs(_log(['[{"temp": 1}]']))


def test_a_log_without_inputs_or_timestamp_is_refused():
    with pytest.raises(DriftInputError, match=r"lacks the columns \['inputs'\]"):
        logged_inputs(pd.DataFrame({"timestamp": ["2024-01-01"]}))


def test_a_feature_named_timestamp_is_refused():
    with pytest.raises(DriftInputError, match="feature named 'timestamp'"):
        logged_inputs(_log([{"timestamp": 3}]))


def test_days_written_as_request_ids_time_the_inputs_and_other_ids_are_nat():
    log = _log([{"temp": 1.0}, {"temp": 2.0}, {"temp": 3.0}])
    log["request_id"] = ["2014-07-01", "0b7f3c2e-request", "2014-07-02"]
    days = logged_inputs(log, time_col="request_id", time_format="%Y-%m-%d", name="day")
    assert days.columns.tolist() == ["day", "temp"]
    assert days["day"].tolist()[::2] == [pd.Timestamp("2014-07-01"), pd.Timestamp("2014-07-02")]
    assert pd.isna(days["day"].iloc[1])


def test_the_result_keeps_the_logs_index_so_other_columns_join_by_it():
    log = _log([{"bill length (mm)": 40.1}, {"bill length (mm)": 38.9}]).iloc[[1]]
    features = logged_inputs(log).assign(model_version=log["model_version"])
    assert features.index.tolist() == [1]
    assert features.columns.tolist() == ["timestamp", "bill length (mm)", "model_version"]


def test_an_empty_log_gives_an_empty_frame_with_the_time_column():
    features = logged_inputs(_log([]).iloc[:0], name="day")
    assert features.empty and features.columns.tolist() == ["day"]


def test_a_feature_named_like_the_time_column_asks_for_another_name():
    log = _log([{"day": 3}])
    with pytest.raises(DriftInputError, match=r"feature named 'day'.*another name="):
        logged_inputs(log, name="day")
    assert logged_inputs(log, name="seen_at").columns.tolist() == ["seen_at", "day"]
