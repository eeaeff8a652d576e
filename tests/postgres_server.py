"""The tests' throwaway PostgreSQL cluster: the course's own :func:`local_postgres`, or a skip.

One way to start PostgreSQL (:mod:`prodml_workshop.props.scaling.local_postgres`): a cluster
in a temporary folder, on a free port of 127.0.0.1, with a role that has a password, so a URL
with a password is what the tests use, as a deployment would. ``cluster.database()`` makes a
fresh database per test; ``cluster.stop()`` and ``cluster.start()`` take it down and back up.
Without PostgreSQL's server programs the test skips with the reason, and fails when ``CI`` is
set (``.ci/run`` installs them). A test that starts PostgreSQL needs the machine, not only
Python: it must be marked ``system`` (``make test-system`` runs it), or it fails saying so.
"""

import os

import pytest

from prodml_workshop.props.scaling.local_postgres import (
    LocalPostgres,
    local_postgres,
    postgres_available,
)

#: Whether the running test is marked ``system``: tests/conftest.py sets it before each test.
RUNNING_A_SYSTEM_TEST = True


def postgres_cluster() -> LocalPostgres:
    """A new cluster, stopped and removed at the end of its ``with`` block; else skip or fail."""
    if not postgres_available():
        reason = (
            "PostgreSQL's server programs are not installed (no initdb): apt-get install postgresql"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: .ci/run installs it)")
        pytest.skip(reason)
    if not RUNNING_A_SYSTEM_TEST:
        pytest.fail("this test starts PostgreSQL: mark it @pytest.mark.system (make test-system)")
    return local_postgres()
