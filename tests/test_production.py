"""The capstone's loop: traffic to a real server, the monitoring job, retraining, redeploying."""

import shutil
import warnings

import matplotlib
import pandas as pd
import pytest
import requests
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from prodml_workshop.data import load_seattle_weather
from prodml_workshop.monitoring import save_reference
from prodml_workshop.packaging import read_manifest, save_model
from prodml_workshop.production import (
    DeploymentError,
    IncompleteLogWarning,
    MonitoringJob,
    UnwatchedVersionError,
    compare_versions,
    current_server,
    deploy,
    labelled_log,
    retrain,
    seasonal_reference,
    undeploy,
)
from prodml_workshop.production.request_days import served_by_day
from prodml_workshop.props.production import plot_production, replay, to_fahrenheit
from prodml_workshop.serving import PredictionLog, model_version, read_log, to_records

matplotlib.use("Agg")

FEATURES = ["precipitation", "temp_max", "temp_min", "wind"]
START = pd.Timestamp("2014-06-10")  # four weeks of traffic: three quiet, then Fahrenheit
DRIFT_DAY = pd.Timestamp("2014-07-01")


@pytest.fixture(scope="module")
def weather():
    return load_seattle_weather()


@pytest.fixture(scope="module")
def training(weather):
    return weather[(weather.date >= "2013-04-01") & (weather.date < "2014-04-01")]


@pytest.fixture(scope="module")
def traffic(weather):
    days = weather[(weather.date >= START) & (weather.date <= "2014-07-10")]
    return to_fahrenheit(days, since=DRIFT_DAY)


def _package(training, path, name):
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(training[FEATURES], training["weather"])
    package = save_model(
        model,
        path,
        format="onnx",  # not the point here, and its server starts in half the time of skops
        sample_input=training[FEATURES].head(),
        metadata={"name": name},
    )
    save_reference(package, training[["date", *FEATURES]])
    return package


@pytest.fixture(scope="module")
def packages(training, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return _package(training, folder / "v1", "v1"), _package(training, folder / "v2", "v2")


@pytest.fixture(autouse=True)
def _no_server_left():
    yield
    undeploy()


def _write_log(path, days, version):
    """What a server writes for one request per day: the day is the request id."""
    log = PredictionLog(path)
    for day, record in zip(days["date"], to_records(days[FEATURES]), strict=True):
        log.append("predict", version, [(day.strftime("%Y-%m-%d"), record, "sun")], latency_ms=1)
    log.close()


def test_to_fahrenheit_converts_the_temperatures_from_the_given_day_only(traffic, weather):
    original = weather.set_index("date").loc[traffic.date]
    before, after = traffic.date < DRIFT_DAY, traffic.date >= DRIFT_DAY
    assert (
        traffic.loc[before, "temp_max"].to_numpy() == original.loc[before.to_numpy(), "temp_max"]
    ).all()
    expected = original.loc[after.to_numpy(), "temp_min"] * 9 / 5 + 32
    assert traffic.loc[after, "temp_min"].to_numpy() == pytest.approx(expected.to_numpy())
    assert (traffic["wind"].to_numpy() == original["wind"].to_numpy()).all()
    assert to_fahrenheit(weather.head(2))["temp_max"].tolist() == pytest.approx(
        (weather.head(2)["temp_max"] * 1.8 + 32).tolist()
    )


def test_seasonal_reference_keeps_the_same_weeks_of_any_year_or_falls_back_to_all(training):
    season = seasonal_reference(training, "2014-12-28", season_days=21)
    days_of_year = season.date.dt.dayofyear
    assert len(season) == 43  # 21 days on each side of 31 December, across the new year
    assert ((days_of_year >= 344) | (days_of_year <= 21)).all()
    few_weeks = training[training.date < "2013-05-01"]
    assert seasonal_reference(few_weeks, "2014-08-01") is few_weeks


def test_monitoring_job_alerts_at_the_end_of_the_drifted_week_only(packages, traffic, log_db):
    v1, _ = packages
    job = MonitoringJob(log_db, start=START, features=FEATURES)
    version = job.watch(v1)
    assert version == model_version(read_manifest(v1))
    _write_log(log_db, traffic[traffic.date <= "2014-07-03"], version)
    assert [job.after_day(day) for day in pd.date_range(START, "2014-06-30")] == [[]] * 21
    table = job.run()  # the incomplete week of July is not checked yet
    assert table.index.tolist() == list(pd.date_range(START, periods=3, freq="7D"))
    assert not table["data_drift"].any() and (table["n"] == 7).all()

    _write_log(
        log_db, traffic[(traffic.date > "2014-07-03") & (traffic.date <= "2014-07-07")], version
    )
    assert job.after_day("2014-07-06") == []  # not the end of a week
    alert, *others = job.after_day("2014-07-07")
    assert alert.kind == "data drift" and alert.raised_on == pd.Timestamp("2014-07-07")
    assert alert.window_start == DRIFT_DAY and alert.model_version == version
    assert alert.columns == ["temp_max", "temp_min"] and others == []  # "sun" every day
    assert job.alerts == [alert] and "2014-07-07" in str(alert)
    assert job.run().loc[DRIFT_DAY, ["temp_max", "temp_min"]].max() < 1e-4  # p-values


def test_monitoring_job_names_the_fix_for_an_unwatched_version(packages, traffic, tmp_path, log_db):
    _write_log(log_db, traffic.head(7), "skops-000000000000")
    job = MonitoringJob(log_db, start=START, features=FEATURES)
    with pytest.raises(UnwatchedVersionError, match=r"job\.watch\(package\)"):
        job.run()
    bare = shutil.copytree(packages[0], tmp_path / "bare")
    (bare / "reference.parquet").unlink()
    with pytest.raises(FileNotFoundError, match="save_reference"):
        job.watch(bare)


def test_monitoring_job_warns_when_the_log_records_rows_it_could_not_write(
    packages, traffic, log_db
):
    import sqlalchemy

    from prodml_workshop.serving.log_database import engine, gaps_table, log_location

    job = MonitoringJob(log_db, start=START, features=FEATURES)
    _write_log(log_db, traffic.head(7), job.watch(packages[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a complete log: no warning
        assert len(job.run()) == 1 and job.log_gaps().empty
    writer = engine(log_location(log_db))
    with writer.begin() as connection:  # what a server writes once the database is back
        gap = {"since": "2026-12-06T21:00:00+00:00", "until": "2026-12-06T21:00:09+00:00"}
        connection.execute(
            sqlalchemy.insert(gaps_table(sqlalchemy.MetaData())),
            [{**gap, "rows": 12, "reason": "OperationalError: connection refused"}],
        )
    writer.dispose()
    with pytest.warns(IncompleteLogWarning, match="12 predictions were answered but could not"):
        job.run()
    assert job.log_gaps()["rows"].tolist() == [12]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, not at every run
        job.run()


def test_labelled_log_joins_the_feedback_by_day(traffic, log_db):
    _write_log(log_db, traffic.head(5), "skops-1")
    feedback = traffic[["date", "weather"]].iloc[1:4]  # the labels of three days are back
    labelled = labelled_log(read_log(log_db), feedback)
    assert labelled["date"].tolist() == feedback["date"].tolist()
    assert labelled.columns.tolist() == [
        "date",
        "model_version",
        "quality",
        *FEATURES,
        "prediction",
        "weather",
    ]
    assert labelled["weather"].tolist() == feedback["weather"].tolist()
    assert (labelled["prediction"] == "sun").all()


def test_retrain_fits_a_fresh_copy_on_every_part_in_time_order(training, traffic):
    estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    recent, history = traffic.iloc[20:], to_fahrenheit(training.iloc[-100:])
    model, rows = retrain(estimator, recent, history, features=FEATURES, target="weather")
    assert len(rows) == len(recent) + len(history) and rows["date"].is_monotonic_increasing
    assert rows.columns.tolist() == ["date", *FEATURES, "weather"]
    assert not hasattr(estimator, "classes_") and set(model.classes_) <= set(rows["weather"])
    with pytest.raises(ValueError, match="lacks the columns"):
        retrain(estimator, recent.drop(columns="wind"), features=FEATURES, target="weather")


@pytest.mark.server
def test_replay_logs_each_day_under_its_date_and_stops_at_the_alert(packages, traffic, log_db):
    v1, _ = packages
    server = deploy(v1, log_db=log_db)
    job = MonitoringJob(log_db, start=START, features=FEATURES)
    job.watch(v1)
    first = replay(server, traffic, features=FEATURES, job=job, progress=False)
    assert first.last_day == DRIFT_DAY and len(first.served) == 22
    assert [(a.kind, a.raised_on, a.columns) for a in first.alerts] == [
        ("data quality", DRIFT_DAY, ["temp_max", "temp_min"])  # the first day in Fahrenheit
    ]
    rest = traffic[traffic.date > DRIFT_DAY]
    run = replay(server, rest, features=FEATURES, job=job, progress=False, stop_on=["data drift"])
    kinds = ["data quality"] * 6 + ["data drift", "prediction drift"]  # "rain" every day
    assert [a.kind for a in run.alerts] == kinds
    assert run.alerts[-1].raised_on == pd.Timestamp("2014-07-07")
    assert run.last_day == pd.Timestamp("2014-07-07") and len(run.served) == 6
    run.served = pd.concat([first.served, run.served], ignore_index=True)
    assert (run.served["model_version"] == model_version(read_manifest(v1))).all()
    log = read_log(log_db)
    assert log["request_id"].tolist() == run.served["date"].dt.strftime("%Y-%m-%d").tolist()
    assert log["outputs"].tolist() == run.served["prediction"].tolist()
    assert log["inputs"].iloc[-1] == to_records(traffic[traffic.date == "2014-07-07"][FEATURES])[0]

    rest = replay(
        server.url, traffic[traffic.date > run.last_day], features=FEATURES, progress=False
    )
    assert rest.alerts == [] and len(rest.served) == 3


@pytest.mark.server
def test_deploy_replaces_the_server_and_refuses_a_damaged_package(packages, traffic, tmp_path):
    v1, v2 = packages
    log_db = tmp_path / "log.sqlite"
    old = deploy(v1, log_db=log_db)
    replay(old, traffic.head(2), features=FEATURES, progress=False)

    damaged = shutil.copytree(v2, tmp_path / "damaged")
    artifact = damaged / "model.onnx"
    artifact.write_bytes(artifact.read_bytes()[:-10])
    with pytest.raises(DeploymentError, match="technical-drift"):
        deploy(damaged, log_db=log_db)
    assert current_server() is old and old.running  # the running version keeps serving

    new = deploy(v2, log_db=log_db)
    assert not old.running and current_server() is new
    assert new.url == old.url  # the new server took the old one's port: same URL
    served = requests.get(f"{new.url}/metadata", timeout=10).json()
    assert model_version(served) == model_version(read_manifest(v2))
    assert served["metadata"]["name"] == "v2"
    replay(new, traffic.iloc[2:4], features=FEATURES, progress=False)
    versions = read_log(log_db)["model_version"].tolist()
    assert versions == [model_version(read_manifest(v)) for v in (v1, v1, v2, v2)]

    undeploy()
    assert not new.running and current_server() is None
    undeploy()  # twice is fine


def test_plot_production_draws_drift_and_accuracy_per_version():
    weeks = pd.date_range("2014-04-01", periods=4, freq="7D")
    report = pd.DataFrame(
        {
            "model_version": ["a", "a", "b", "b"],
            "share_drifted": [0.0, 0.5, 0.25, 0.0],
            "accuracy": [0.9, 0.1, 0.8, 0.85],
        },
        index=weeks,
    )
    fig = plot_production(report, events={"alert": weeks[1]}, names={"a": "v1", "b": "v2"})
    top, bottom = fig.axes
    assert [t.get_text() for t in top.get_legend().get_texts()] == [
        "alert rule (0.5)",
        "alert",
        "v1",
        "v2",
    ]
    assert len(bottom.lines) == 2 + 1  # one line per version, one per event
    matplotlib.pyplot.close(fig)


def test_served_by_day_keeps_predict_rows_and_reads_only_replayed_ids_as_days(log_db):
    log = PredictionLog(log_db)
    rows = [("2014-07-01", {"wind speed": 3.5}, 1.2), ("by-hand-7f3a", {"wind speed": 1.0}, 0.4)]
    log.append("predict", "onnx-1", rows, latency_ms=1)
    log.append("predict_proba", "onnx-1", [("2014-07-02", {"wind speed": 2.0}, {})], latency_ms=1)
    log.close()
    served = served_by_day(read_log(log_db), "date")
    assert served.columns.tolist() == [
        "date",
        "model_version",
        "quality",
        "wind speed",
        "prediction",
    ]
    assert served["date"].iloc[0] == pd.Timestamp("2014-07-01") and pd.isna(served["date"].iloc[1])
    assert served["wind speed"].tolist() == [3.5, 1.0]


@pytest.mark.server
@pytest.mark.slow
def test_deploy_a_shadow_then_a_canary_and_compare_the_versions_from_the_log(
    packages, traffic, log_db
):
    v1, v2 = packages  # the same fit, saved twice: two versions that always agree
    V1, V2 = (model_version(read_manifest(v)) for v in packages)
    feedback = traffic[["date", "weather"]]
    server = deploy(v1, shadow=v2, log_db=log_db, timeout=180)
    shadow = replay(server, traffic.head(3), features=FEATURES, progress=False)
    assert shadow.served["model_version"].tolist() == [V1] * 3  # clients get v1 only
    report = compare_versions(read_log(log_db), feedback)
    assert report.index.tolist() == [("served", V1), ("shadow", V2)]
    assert report["predictions"].tolist() == [3, 3] and report["agreement"].tolist() == [1, 1]

    port = server.port
    server = deploy(v1, canary=v2, canary_share=0.5, log_db=log_db, timeout=180)
    canary = replay(server, traffic.iloc[3:13], features=FEATURES, progress=False)
    assert server.port == port and set(canary.served["model_version"]) == {V1, V2}
    log = read_log(log_db).set_index("request_id").loc[canary.served["date"].dt.strftime("%F")]
    assert log["model_version"].tolist() == canary.served["model_version"].tolist()
    assert (log["role"] == "served").all()  # a canary answers; it is no shadow
