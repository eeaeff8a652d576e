"""The log's location (a SQLite path or a PostgreSQL URL), and a real server logging to PostgreSQL.

One server of the course model writes to a PostgreSQL cluster of this module's own: it answers
and logs, 8 threads of 50 requests make exactly 400 rows, its password shows nowhere, and with
the database stopped mid-load it keeps answering 200 and counts the rows it could not write
(the documented behaviour, see prodml_workshop/serving/prediction_log.py).
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from postgres_server import postgres_cluster

from prodml_workshop.serving import read_log, serve, to_records
from prodml_workshop.serving.log_database import LogLocationError, log_location, shown_location
from prodml_workshop.serving.prediction_log import read_log_gaps

THREADS, REQUESTS = 8, 50


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://course:s3cret@127.0.0.1:5432/shared",
        "postgres://course:s3cret@db/logs",
        "postgresql+psycopg://course:s3cret@db/logs",
    ],
)
def test_a_postgresql_url_is_a_location_as_given_and_shown_without_its_password(url):
    assert log_location(url) == url
    assert "s3cret" not in shown_location(url) and "course:***@" in shown_location(url)


def test_a_sqlite_url_and_a_path_name_the_same_file(tmp_path):
    assert log_location(f"sqlite:///{tmp_path}/log.sqlite") == tmp_path / "log.sqlite"
    assert log_location(tmp_path / "log.sqlite") == log_location(str(tmp_path / "log.sqlite"))
    assert log_location("log.sqlite") == Path.cwd() / "log.sqlite"


def test_an_unsupported_url_names_what_is_supported():
    with pytest.raises(LogLocationError, match=r"a SQLite file path .* or a postgresql:// URL"):
        log_location("mysql://course:s3cret@db/logs")
    with pytest.raises(LogLocationError, match="'sqlite://' is a sqlite database URL"):
        log_location("sqlite://")  # SQLAlchemy's in-memory database: no log to read back


@pytest.fixture(scope="module")
def cluster():
    with postgres_cluster() as cluster:  # its own: the last test stops it
        yield cluster


@pytest.fixture(scope="module")
def server(cluster, course_package):
    with serve(course_package, log_db=cluster.database(), timeout=180) as server:
        yield server


@pytest.fixture(scope="module")
def records():
    from prodml_workshop.data import PENGUIN_FEATURES, load_penguins

    return to_records(load_penguins()[PENGUIN_FEATURES].dropna().head(2))


def _post(url, records, request_id):
    response = requests.post(
        f"{url}/predict",
        json={"records": records},
        headers={"X-Request-ID": request_id},
        timeout=60,
    )
    return response.status_code


@pytest.mark.system
@pytest.mark.server
def test_a_server_logs_to_postgresql_and_read_log_reads_it_back(server, records):
    assert server.log_db.startswith("postgresql://")
    assert _post(server.url, records, "first-request") == 200
    log = read_log(server.log_db)
    mine = log[log["request_id"] == "first-request"]
    assert len(mine) == len(records) and mine["inputs"].tolist() == records
    assert read_log_gaps(server.log_db).empty


@pytest.mark.system
@pytest.mark.server
@pytest.mark.slow
def test_concurrent_requests_make_exactly_one_row_each(server, records):
    one = records[:1]
    with ThreadPoolExecutor(THREADS) as pool:
        codes = list(
            pool.map(
                lambda i: _post(server.url, one, f"load-{i // REQUESTS}-{i % REQUESTS}"),
                range(THREADS * REQUESTS),
            )
        )
    assert codes == [200] * (THREADS * REQUESTS)
    log = read_log(server.log_db)
    load = log[log["request_id"].str.startswith("load-")]
    assert len(load) == THREADS * REQUESTS == load["request_id"].nunique()
    assert load["batch_size"].max() >= 1 and (load["role"] == "served").all()


@pytest.mark.system
@pytest.mark.server
def test_the_password_is_in_neither_metadata_nor_the_server_log(server, cluster):
    metadata = requests.get(f"{server.url}/metadata", timeout=10).text
    metrics = requests.get(f"{server.url}/metrics", timeout=10).text
    for shown in (metadata, metrics, server.logs(), repr(server)):
        assert cluster.password not in shown


def _unwritten(url):
    metrics = requests.get(f"{url}/metrics", timeout=10).text
    return float(re.search(r"^prodml_log_rows_unwritten_total (\S+)$", metrics, re.M)[1])


@pytest.mark.system
@pytest.mark.server
@pytest.mark.slow
def test_with_the_database_stopped_mid_load_the_server_answers_and_counts(server, cluster, records):
    one = records[:1]
    before = _unwritten(server.url)
    codes, stop = [], threading.Event()

    def load(thread):
        n = 0
        while not stop.is_set():
            codes.append(_post(server.url, one, f"mid-{thread}-{n}"))
            n += 1

    threads = [threading.Thread(target=load, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    try:
        while len(codes) < 40:  # under load
            threading.Event().wait(0.05)
        cluster.stop("immediate")
        sent = len(codes)
        while len(codes) < sent + 40:  # and more answered with the database down
            threading.Event().wait(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert set(codes) == {200}
    unwritten = _unwritten(server.url) - before
    cluster.start()  # the rows written before the stop are all there, the rest counted
    log = read_log(server.log_db)
    written = log["request_id"].str.startswith("mid-").sum()
    assert unwritten >= 40
    # each answered row is written or counted; a commit cut by the stop may be both
    assert len(codes) <= written + unwritten <= len(codes) + len(threads)
    warnings = server.logs()
    assert "could not take" in warnings and cluster.password not in warnings
    assert ":***@" in warnings
