"""The lecture's replicas: two ``serve()`` on loopback, one log, nginx or the client in turn."""

import os

import pytest
import requests

from prodml_workshop.props.scaling.balancer import nginx_available
from prodml_workshop.props.scaling.local_postgres import postgres_available
from prodml_workshop.props.scaling.replicas import serve_replicas, shared_log
from prodml_workshop.serving import read_log

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.system]

PENGUIN = {
    "bill_length_mm": 39.1,
    "bill_depth_mm": 18.7,
    "flipper_length_mm": 181.0,
    "body_mass_g": 3750.0,
    "island": "Torgersen",
    "sex": "male",
}


def _predict(replicas, request_id):
    return replicas.post(
        "/predict", json={"records": [PENGUIN]}, headers={"X-Request-ID": request_id}, timeout=30
    )


def test_replicas_without_nginx_share_a_sqlite_file_and_skip_a_stopped_one(
    course_package, tmp_path
):
    log_db = tmp_path / "replicas.sqlite"
    with serve_replicas(course_package, log_db, nginx=False) as two:
        assert two.url is None and len(two.servers) == 2
        assert [_predict(two, f"turn-{i}").status_code for i in range(4)] == [200] * 4
        two.servers[0].stop()  # the client sends to the next one
        assert [_predict(two, f"turn-{i}").status_code for i in range(4, 8)] == [200] * 4
    assert not any(server.running for server in two.servers)
    log = read_log(log_db)
    assert sorted(log["request_id"]) == [f"turn-{i}" for i in range(8)]
    assert set(log["outputs"]) == {"Adelie"}


def test_two_replicas_behind_nginx_write_one_postgresql_log(course_package, tmp_path):
    missing = [name for name, here in [("PostgreSQL", postgres_available()),
                                       ("nginx", nginx_available())] if not here]  # fmt: skip
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{' and '.join(missing)} missing: .ci/run must install them")
        pytest.skip(f"{' and '.join(missing)} not installed here; .ci/run installs them in CI")
    with shared_log(tmp_path) as log_db, serve_replicas(course_package, log_db) as two:
        assert log_db.startswith("postgresql://prodml:")
        password = log_db.split(":")[2].split("@")[0]
        assert password not in repr(two) and "prodml:***@" in repr(two)
        assert [_predict(two, f"lb-{i:02d}").status_code for i in range(20)] == [200] * 20
        assert sorted(two.balancer.counts(total=20).values()) == [10, 10]  # in turn
        for server in two.servers:
            assert password not in requests.get(f"{server.url}/metadata", timeout=10).text
        log = read_log(log_db)
        assert sorted(log["request_id"]) == [f"lb-{i:02d}" for i in range(20)]
    assert not any(server.running for server in two.servers)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{two.url}/readyz", timeout=5)
