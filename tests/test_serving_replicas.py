"""Two replicas on two hosts write one PostgreSQL prediction log, behind nginx (issue 22).

Three hosts of one machine (network namespaces on a bridge, ``tests/hosts.py``): PostgreSQL on
``db``, listening on its address only, with a password; one ``bentoml serve`` of the same
package on ``replica-1`` and on ``replica-2``, each given the database's URL as its
``PRODML_LOG_DB``; nginx in the test's own namespace, the one address of both. The package is
a model the course never serves: a random forest regressor on numeric columns with spaces in
their names, dated training rows as its reference.

Without root's ``ip netns``, PostgreSQL's server programs or nginx, these tests skip with the
reason; in CI (``CI`` set, as ``.ci/run`` does) they fail instead. The cluster is started once
for the module; the kill test kills a replica, so it comes last.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import requests
from hosts import hosts, netns_unavailable
from sklearn.ensemble import RandomForestRegressor

from prodml_workshop.monitoring import save_reference
from prodml_workshop.packaging import load_model, save_model
from prodml_workshop.production import MonitoringJob
from prodml_workshop.props.scaling.balancer import balancer, nginx_available
from prodml_workshop.props.scaling.local_postgres import local_postgres, postgres_available
from prodml_workshop.serving import read_log, serve, to_records
from prodml_workshop.serving.server_launcher import ModelServer

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.system]

FEATURES = ["wind speed", "temp max", "rain (mm)"]
START = pd.Timestamp("2014-06-10")  # four weeks of traffic, the last one drifted
DRIFT_DAY = pd.Timestamp("2014-07-01")
PORT = 3000  # every replica's port: each host has its own ports


def _weather(days: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    """Dated rows with a yearly cycle: temperature follows the season, wind and rain do not."""
    rng = np.random.default_rng(seed)
    season = np.sin(2 * np.pi * (days.dayofyear.to_numpy() - 100) / 365)
    return pd.DataFrame(
        {
            "date": days,
            "wind speed": rng.gamma(4.0, 1.0, len(days)),
            "temp max": 15 + 10 * season + rng.normal(0, 2, len(days)),
            "rain (mm)": rng.exponential(2.0, len(days)),
        }
    )


def _missing_requirement() -> str | None:
    if reason := netns_unavailable():
        return reason
    if not postgres_available():
        return "PostgreSQL's server programs are not installed (Debian's postgresql)"
    if not nginx_available():
        return "nginx is not installed (Debian's nginx)"
    return None


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    training = _weather(pd.date_range("2013-01-01", "2013-12-31"), seed=1)
    target = training["temp max"] * 0.8 - training["wind speed"] + training["rain (mm)"] * 0.3
    model = RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0)
    model.fit(training[FEATURES], target)
    folder = tmp_path_factory.mktemp("replicas") / "forest"
    saved = save_model(model, folder, format="skops", sample_input=training[FEATURES].head())
    return save_reference(saved, training)


@pytest.fixture(scope="module")
def traffic():
    """Four weeks, 12 records a day; from DRIFT_DAY, hotter and windier (a new sensor)."""
    days = pd.DatetimeIndex(np.repeat(pd.date_range(START, periods=28), 12))
    rows = _weather(days, seed=2)
    drifted = rows["date"] >= DRIFT_DAY
    rows.loc[drifted, "temp max"] += 15
    rows.loc[drifted, "wind speed"] *= 3
    return rows


@pytest.fixture(scope="module")
def load():
    """400 records of another year, for the load tests."""
    return _weather(pd.date_range("2014-01-01", periods=400), seed=3)[FEATURES]


def _post(url, request_id, record):
    body, headers = {"records": [record]}, {"X-Request-ID": request_id}
    return requests.post(f"{url}/predict", json=body, headers=headers, timeout=30)


class _Cluster:
    def __init__(self, net, database, replicas, front):
        self.net, self.db, self.replicas, self.balancer = net, database, replicas, front

    def post(self, request_id, record):
        return _post(self.balancer.url, request_id, record)


@pytest.fixture(scope="module")
def cluster(package):
    if reason := _missing_requirement():
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run must provide it so CI runs the replica tests")
        pytest.skip(f"{reason}; .ci/run provides it in CI")
    with (
        hosts("db", "replica-1", "replica-2") as net,
        local_postgres(
            host=net["db"].address, port=5432, allow=net.subnet, prefix=net["db"].command()
        ) as database,
    ):
        replicas = {}
        try:
            for name in ("replica-1", "replica-2"):
                host = net[name]
                replicas[name] = ModelServer(
                    model_dir=package,
                    log_db=database.url,
                    host=host.address,
                    port=PORT,
                    workers=1,
                    batching=True,
                    grace=10.0,
                    prefix=host.command(),
                )
            for server in replicas.values():
                server.wait_until_ready(120)
            upstreams = [f"{net[name].address}:{PORT}" for name in replicas]
            with balancer(upstreams, fail_timeout=30) as front:
                yield _Cluster(net, database, replicas, front)
        finally:
            for server in replicas.values():
                server.stop()


def _send(url, requests_by_id, threads=32):
    """POST each (request id, record) to ``url`` at once; return the statuses."""
    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(_post, url, rid, record) for rid, record in requests_by_id]
    return [future.result().status_code for future in futures]


def test_400_concurrent_requests_make_400_rows_from_both_replicas(cluster, package, load):
    records = to_records(load)
    ids = [f"load-{i:03d}" for i in range(400)]
    started = time.perf_counter()
    statuses = _send(cluster.balancer.url, zip(ids, records, strict=True))
    elapsed = time.perf_counter() - started
    assert statuses == [200] * 400

    log = read_log(cluster.db.url)
    rows = log[log["request_id"].str.startswith("load-")]
    assert len(rows) == 400 and rows["request_id"].is_unique
    assert set(rows["request_id"]) == set(ids)
    expected = load_model(package).predict(load)
    assert rows.set_index("request_id").loc[ids, "outputs"].to_numpy() == pytest.approx(expected)
    # The log has no replica column: nginx's log says which replica answered each request.
    answered = {rid: addr for rid, addr in cluster.balancer.answered_by(ids).items() if rid in ids}
    per_replica = pd.Series(answered).value_counts()
    assert len(answered) == 400 and len(per_replica) == 2 and per_replica.min() > 0, per_replica
    print(f"400 requests in {elapsed:.1f} s; rows per replica: {per_replica.to_dict()}")


def test_the_url_s_password_shows_nowhere(cluster):
    password = cluster.db.url.split(":")[2].split("@")[0]
    for server in cluster.replicas.values():
        metadata = requests.get(f"{server.url}/metadata", timeout=10)
        assert metadata.status_code == 200
        assert password not in metadata.text and password not in server.logs()
    assert password not in cluster.db.logs()


def _alerts_and_windows(log_db, package):
    job = MonitoringJob(log_db, start=START, features=FEATURES)
    job.watch(package)
    alerts = [alert for day in pd.date_range(START, periods=28) for alert in job.after_day(day)]
    return alerts, job.run()


def test_monitoring_job_says_the_same_on_the_shared_log_as_on_one_server_s(
    cluster, package, traffic, tmp_path
):
    days = traffic["date"].dt.strftime("%Y-%m-%d")
    requests_by_id = list(zip(days, to_records(traffic[FEATURES]), strict=True))
    assert _send(cluster.balancer.url, requests_by_id) == [200] * len(traffic)
    with serve(package, log_db=tmp_path / "one.sqlite") as one:
        assert _send(one.url, requests_by_id) == [200] * len(traffic)

    shared_alerts, shared_windows = _alerts_and_windows(cluster.db.url, package)
    one_alerts, one_windows = _alerts_and_windows(tmp_path / "one.sqlite", package)
    # Not a vacuous comparison: each drifted day out of range, then the week's drift.
    quality = [a.raised_on for a in one_alerts if a.kind == "data quality"]
    assert quality == list(pd.date_range(DRIFT_DAY, periods=7))
    drift, prediction = one_alerts[7:]
    assert (drift.kind, drift.window_start) == ("data drift", DRIFT_DAY)
    assert drift.columns == ["wind speed", "temp max"] and prediction.kind == "prediction drift"
    assert shared_alerts == one_alerts
    assert (shared_windows["n"] == 84).all()
    pd.testing.assert_frame_equal(shared_windows, one_windows, check_exact=False, rtol=1e-9)


def test_one_replica_killed_under_load_the_other_answers_and_logs(cluster, load):
    """200 requests sent, replica-1's host SIGKILLed after 100 answers (the rest in flight or
    queued), then 200 more: the survivor answers, and every 200 is in the log."""
    records = to_records(load)
    ids = [f"kill-{i:03d}" for i in range(400)]
    answered, statuses = threading.Semaphore(0), {}

    def send(request_id, record):
        try:
            statuses[request_id] = cluster.post(request_id, record).status_code
        except requests.RequestException as error:
            statuses[request_id] = type(error).__name__
        answered.release()

    with ThreadPoolExecutor(16) as pool:
        for request_id, record in zip(ids[:200], records[:200], strict=True):
            pool.submit(send, request_id, record)
        for _ in range(100):
            assert answered.acquire(timeout=120), "no answer in 2 minutes before the kill"
        killed = cluster.net["replica-1"].kill_all()
        unanswered_at_kill = 200 - len(statuses)
        for request_id, record in zip(ids[200:], records[200:], strict=True):
            pool.submit(send, request_id, record)

    assert killed > 0 and unanswered_at_kill > 0
    assert not cluster.replicas["replica-1"].running
    ok = {rid for rid, status in statuses.items() if status == 200}
    assert set(ids[200:]) <= ok  # the other replica answered everything sent after the kill
    log = read_log(cluster.db.url)
    logged = log[log["request_id"].str.startswith("kill-")]["request_id"]
    assert ok <= set(logged)  # every answer a client got is in the log
    by = cluster.balancer.answered_by(ok)
    survivor = f"{cluster.net['replica-2'].address}:{PORT}"
    assert {by[rid] for rid in ids[200:]} == {survivor}
    print(
        f"kill: {len(ids)} requests, {unanswered_at_kill} unanswered at the kill, {len(ok)} "
        f"answered 200, {len(logged)} rows ({logged.duplicated().sum()} duplicates), "
        f"others: {sorted(set(statuses.values()) - {200})}"
    )
