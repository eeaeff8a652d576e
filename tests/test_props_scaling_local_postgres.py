"""The throwaway PostgreSQL cluster: made, stopped and started with its data, removed at the end.

The tests' own clusters (``tests/postgres_server.py``) are this one; without PostgreSQL's server
programs these tests skip with the reason, and fail when ``CI`` is set.
"""

import itertools
import time
from pathlib import Path

import postgres_server
import psutil
import psycopg
import pytest
from postgres_server import postgres_cluster

pytestmark = [pytest.mark.server, pytest.mark.slow]


def _postmasters(port):
    """The PostgreSQL servers listening on ``port``, by their command lines."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        command = process.info["cmdline"] or []
        pairs = itertools.pairwise(command)
        if process.info["name"] == "postgres" and ("-p", str(port)) in pairs:
            found.append(process)
    return found


@pytest.mark.system
def test_a_stopped_cluster_starts_again_with_its_rows_after_a_fast_or_an_immediate_stop():
    with postgres_cluster() as cluster:
        url = cluster.database()
        assert url.endswith("/database_1") and cluster.database().endswith("/database_2")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE TABLE t (x INT)")
            connection.execute("INSERT INTO t VALUES (1)")
            started = time.monotonic()
            cluster.stop()  # fast: the open session is ended, not waited for
            assert time.monotonic() - started < 10
        assert not cluster.running
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=2)
        cluster.start()
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("INSERT INTO t VALUES (2)")
        cluster.stop("immediate")  # as a crash: the next start recovers
        cluster.start()
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,)]
        assert cluster.password not in repr(cluster) + cluster.logs()
        assert "prodml:***@" in repr(cluster)
        [postmaster] = _postmasters(cluster.port)  # the stopped ones are gone
        command = postmaster.cmdline()
        data = Path(command[command.index("-D") + 1])
        assert data.is_dir()
    assert not cluster.running and not postmaster.is_running()
    assert not data.parent.exists()  # its files removed


@pytest.mark.system
def test_the_role_needs_its_password_and_an_unknown_stop_mode_is_refused():
    with postgres_cluster() as cluster:
        bare = cluster.url.replace(f":{cluster.password}@", ":wrong@")
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(bare, connect_timeout=5)
        with pytest.raises(ValueError, match="'fast' or 'immediate'"):
            cluster.stop("smart")
        assert cluster.running


def test_without_postgresql_a_test_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(postgres_server, "postgres_available", lambda: False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):
        postgres_cluster()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        postgres_cluster()


def test_a_test_not_marked_system_may_not_start_postgresql(monkeypatch):
    monkeypatch.setattr(postgres_server, "postgres_available", lambda: True)
    monkeypatch.setattr(postgres_server, "RUNNING_A_SYSTEM_TEST", False)
    with pytest.raises(pytest.fail.Exception, match=r"mark it @pytest.mark.system"):
        postgres_cluster()
