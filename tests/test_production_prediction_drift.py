"""Prediction drift and data-quality alerts: the model's outputs and the service's quality marks.

Models the course does not use: a regressor on columns with spaces, a multi-class classifier
with integer labels.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression

from prodml_workshop.monitoring import DriftInputError, save_reference
from prodml_workshop.monitoring.prediction_drift import (
    detect_prediction_drift,
    reference_predictions,
)
from prodml_workshop.packaging import load_model, save_model
from prodml_workshop.production import Alert, MonitoringJob
from prodml_workshop.serving import PredictionLog

FEATURES = ["rain today (mm)", "wind speed"]
START = pd.Timestamp("2024-01-01")


@pytest.fixture(scope="module")
def regressor_package(tmp_path_factory):
    rng = np.random.default_rng(0)
    days = pd.date_range("2023-01-01", periods=200)
    X = pd.DataFrame(rng.uniform(0, 10, (200, 2)), columns=FEATURES)
    model = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, X.sum(axis=1))
    package = save_model(
        model, tmp_path_factory.mktemp("models") / "rf", format="skops", sample_input=X.head()
    )
    save_reference(package, X.assign(day=days))
    return package


def _log(path, rows, version, quality=None):
    """What a server writes: one prediction per day, the day as its request id."""
    log = PredictionLog(path)
    for position, (day, inputs, output) in enumerate(rows):
        log.append(
            "predict",
            version,
            [(day.strftime("%Y-%m-%d"), inputs, output)],
            latency_ms=1,
            quality=None if quality is None else [quality[position]],
        )
    log.close()


def test_reference_predictions_are_the_stored_ones_row_for_row(regressor_package, tmp_path):
    reference = reference_predictions(regressor_package)
    assert reference.columns.tolist() == [*FEATURES, "day", "prediction"]
    model = load_model(regressor_package)
    assert reference["prediction"].to_numpy() == pytest.approx(model.predict(reference[FEATURES]))
    model = RandomForestRegressor(n_estimators=1).fit(reference[FEATURES], reference["prediction"])
    bare = save_model(model, tmp_path / "bare", format="skops", sample_input=reference[FEATURES])
    with pytest.raises(FileNotFoundError, match="save_reference"):
        reference_predictions(bare)


def test_a_regressors_shifted_outputs_drift_with_kolmogorov_smirnov(regressor_package):
    values = reference_predictions(regressor_package)["prediction"]
    same = detect_prediction_drift(values, values.sample(30, random_state=1))
    moved = detect_prediction_drift(values, values.sample(30, random_state=1) + 5)
    assert same.table["test"].tolist() == ["ks"] and not same.dataset_drift
    assert moved.dataset_drift and moved.table["statistic"].iloc[0] < 1e-6


def test_integer_labels_are_categories_and_a_new_label_drifts_at_once():
    reference = np.repeat([0, 1, 2, 3, 4, 5], 50)  # six classes, not values
    quiet = detect_prediction_drift(reference, [0, 1, 2, 3, 4, 5, 2])
    new = detect_prediction_drift(reference, [6, 6, 6])
    assert quiet.table["test"].tolist() == ["chisquare"] and not quiet.dataset_drift
    assert new.dataset_drift and new.table["statistic"].iloc[0] == 0.0
    with pytest.raises(DriftInputError, match="empty"):
        detect_prediction_drift(reference, [])


def test_the_job_sees_outputs_drift_without_labels_and_without_input_drift(
    regressor_package, log_db
):
    job = MonitoringJob(log_db, start=START, features=FEATURES, day_col="day")
    version = job.watch(regressor_package)
    reference = reference_predictions(regressor_package)
    days = pd.date_range(START, periods=14)
    rows = reference.sample(14, random_state=2)
    outputs = rows["prediction"].to_numpy() + np.r_[np.zeros(7), np.full(7, 8.0)]
    records = rows[FEATURES].to_dict("records")
    _log(log_db, zip(days, records, outputs.tolist(), strict=True), version)
    raised = [job.after_day(day) for day in days]
    assert raised[:13] == [[]] * 13
    (alert,) = raised[13]  # the second week's outputs moved up; its inputs did not
    assert alert.kind == "prediction drift" and alert.columns == ["prediction"]
    assert alert.window_start == days[7] and alert.model_version == version
    table = job.run()
    assert table["prediction_drift"].tolist() == [False, True]
    assert not table["data_drift"].any()


def test_the_job_raises_a_quality_alert_on_the_day_naming_the_features(log_db):
    days = pd.date_range(START, periods=3)
    records = [{"a b": 1.0, "c": 2.0}] * 3
    flagged = ["", "c,a b", ""]
    _log(log_db, zip(days, records, [0, 1, 0], strict=True), "onnx-1", flagged)
    job = MonitoringJob(log_db, start=START, features=["a b", "c"], window_days=7)
    raised = [job.after_day(day) for day in days]
    assert raised[0] == [] and raised[2] == []
    (alert,) = raised[1]
    assert alert == Alert("data quality", days[1], days[1], "onnx-1", ["a b", "c"], alert.detail)
    assert alert.detail == "1 of 1 predictions" and "on 2024-01-02" in str(alert)
    lenient = MonitoringJob(log_db, start=START, features=["a b"], quality_share=1.0)
    assert lenient.after_day(days[1]) == []


def test_a_multiclass_job_watches_a_given_reference_scored_by_the_package(tmp_path):
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(120, 2)), columns=["x 1", "x 2"])
    y = np.digitize(X["x 1"], [-0.5, 0.5])  # three integer classes
    package = save_model(
        LogisticRegression().fit(X, y), tmp_path / "lr", format="skops", sample_input=X.head()
    )
    reference = X.assign(date=pd.date_range("2023-01-01", periods=120))
    job = MonitoringJob(tmp_path / "log.sqlite", start=START, features=["x 1", "x 2"])
    version = job.watch(package, reference)
    assert set(job.references[version]["prediction"]) == {0, 1, 2}
    with pytest.raises(ValueError, match="kind must be one of"):
        Alert("latency", START, START, version)
