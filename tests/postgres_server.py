"""A throwaway PostgreSQL cluster for the tests: made in a temporary folder, stopped at the end.

The server's own binaries (``initdb``, ``pg_ctl``) come from Debian's ``postgresql`` package
(``/usr/lib/postgresql/<version>/bin``), ``pg_config --bindir`` or ``PATH`` (Homebrew). As
root they run as the ``postgres`` user, which PostgreSQL requires. The cluster listens on a
free port of 127.0.0.1 and on a Unix socket in its folder; a role with a password
(:data:`ROLE`) owns a fresh database per test, so a URL with a password is what the tests
use, as a deployment would.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from prodml_workshop.serving.ports import free_port

#: The role the tests connect as; its password is made per cluster.
ROLE = "course"


def postgres_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(found) / "initdb").exists():
            return Path(found)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A PostgreSQL cluster of its own, for one test session (or one test that stops it).

    Use it as a context manager; :meth:`database` makes a fresh database and returns its URL.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="prodml-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.password = secrets.token_urlsafe(12)
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._databases = 0

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self._as_postgres, *command], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        """Start the server (made on the first start) and wait until it accepts connections."""
        if not self.data.exists():
            self._run(
                str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--no-instructions",
            )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c shared_buffers=16MB -c max_connections=100"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        if self._databases == 0:
            self._admin(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{self.password}'")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode`` "fast" or "immediate"); its data stays for a restart."""
        with contextlib.suppress(RuntimeError):  # already stopped
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.folder), port=self.port, user="postgres", dbname="postgres",
            autocommit=True,
        ) as connection:  # fmt: skip
            connection.execute(statement)

    def database(self) -> str:
        """Make a fresh database owned by :data:`ROLE`; return its URL, password included."""
        self._databases += 1
        name = f"log{self._databases}"
        self._admin(f"CREATE DATABASE {name} OWNER {ROLE}")
        return self.url(name)

    def url(self, database: str) -> str:
        """The URL of one of the cluster's databases, as :data:`ROLE` with its password."""
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_or_skip() -> Path:
    """The PostgreSQL binaries' folder; skip the test without them, but fail it in CI."""
    bindir = postgres_bindir()
    if bindir is None:
        reason = "PostgreSQL is not installed (no initdb): apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: .ci/run installs it)")
        pytest.skip(reason)
    return bindir
