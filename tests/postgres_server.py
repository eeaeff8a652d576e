"""The tests' throwaway PostgreSQL cluster: the course's own :func:`local_postgres`, or a skip.

One way to start PostgreSQL (:mod:`prodml_workshop.props.scaling.local_postgres`): a cluster
in a temporary folder, on a free port of 127.0.0.1, with a role that has a password, so a URL
with a password is what the tests use, as a deployment would. ``cluster.database()`` makes a
fresh database per test; ``cluster.stop()`` and ``cluster.start()`` take it down and back up.
Without PostgreSQL's server programs the test skips with the reason, and fails when ``CI`` is
set (``.ci/run`` installs them).
"""

import os

import pytest

from prodml_workshop.props.scaling.local_postgres import (
    LocalPostgres,
    local_postgres,
    postgres_available,
)


def postgres_cluster() -> LocalPostgres:
    """A new cluster, stopped and removed at the end of its ``with`` block; else skip or fail."""
    if not postgres_available():
        reason = (
            "PostgreSQL's server programs are not installed (no initdb): apt-get install postgresql"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: .ci/run installs it)")
        pytest.skip(reason)
    return local_postgres()
