"""A throwaway PostgreSQL cluster: the one place the course and its tests start PostgreSQL.

:func:`postgres_available` says whether PostgreSQL's server programs are here (Debian's
``postgresql`` package, Homebrew's, or any ``initdb``/``postgres`` on the ``PATH``), and
:func:`local_postgres` makes a cluster of them in a temporary folder, with a password, and gives
its URL. The lecture's replicas share its ``prediction_log`` database
(:func:`~prodml_workshop.props.scaling.shared_log`); the tests make a database per test
(:meth:`LocalPostgres.database`) and stop and restart the server under a load
(:meth:`LocalPostgres.stop`, :meth:`LocalPostgres.start`).

The server runs under the serving session's watchdog (:mod:`prodml_workshop.serving.watchdog`):
it stops when its ``with`` block ends, or when this process dies.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from prodml_workshop.serving.log_database import shown_location
from prodml_workshop.serving.ports import free_port
from prodml_workshop.serving.watched_server import ServerStartError, WatchedServer

__all__ = ["LocalPostgres", "local_postgres", "postgres_available"]

#: Where Debian installs PostgreSQL's server programs, one folder per major version.
_DEBIAN_POSTGRES = Path("/usr/lib/postgresql")
#: The role and the first database of the cluster :func:`local_postgres` makes.
_USER = "prodml"
_DATABASE = "prediction_log"
#: PostgreSQL's shutdown modes and the signal that asks the server for each.
_SHUTDOWN = {"fast": signal.SIGINT, "immediate": signal.SIGQUIT}


def _postgres_bin() -> Path | None:
    """The folder of ``initdb`` and ``postgres``: on the PATH, else Debian's newest version."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).resolve().parent  # a link's folder may lack createdb
    versions = sorted(
        (p for p in _DEBIAN_POSTGRES.glob("*/bin") if (p / "initdb").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def postgres_available() -> bool:
    """Whether PostgreSQL's server programs (``initdb``, ``postgres``) are on this machine.

    True on the course machine and in CI (Debian's ``postgresql`` package); on Binder it is
    usually False, and the lecture keeps one server with its SQLite log.

    Returns
    -------
    bool
        True if :func:`local_postgres` can start a cluster here.

    Examples
    --------
    >>> isinstance(postgres_available(), bool)
    True
    """
    folder = _postgres_bin()
    if folder is None:
        return False
    if os.geteuid() != 0:
        return True
    try:  # root runs it as the postgres user (initdb refuses root)
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return shutil.which("setpriv") is not None


class LocalPostgres:
    """A throwaway PostgreSQL cluster: its URL (with the password), its databases, its server.

    Made by :func:`local_postgres`; a context manager that stops the server and removes its
    files.

    Attributes
    ----------
    url : str
        ``postgresql://prodml:<password>@host:port/prediction_log``: give it to the replicas
        as ``PRODML_LOG_DB`` (an environment variable, never a file in the repository).
    password : str
        The password of the role ``prodml`` (the cluster's superuser), made for this cluster.
    host, port : str, int
        Where it listens.
    """

    def __init__(
        self, binaries: Path, folder: Path, command: list[str], host: str, port: int, password: str
    ):
        self._binaries = binaries
        self._folder = folder
        self._command = command
        self._server: WatchedServer | None = None
        self._earlier_logs = ""
        self._made = 0
        self.host = host
        self.port = port
        self.password = password
        self.url = self._url(_DATABASE)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LocalPostgres(url={shown_location(self.url)!r}, {state})"

    def __enter__(self) -> LocalPostgres:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def _url(self, database: str) -> str:
        return f"postgresql://{_USER}:{self.password}@{self.host}:{self.port}/{database}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._server is not None and self._server.running

    def logs(self) -> str:
        """What the server has written so far, over all its starts."""
        return self._earlier_logs + (self._server.logs() if self._server else "")

    def start(self, timeout: float = 60.0) -> None:
        """Start the server, with the data it had; wait until it takes connections.

        :func:`local_postgres` starts it; call this after :meth:`stop` to bring the same
        databases back on the same address. Does nothing while it runs.

        Parameters
        ----------
        timeout : float, default=60.0
            Seconds to wait (after an immediate stop it first recovers from its write-ahead log).

        Raises
        ------
        ServerStartError
            If it exits or does not take connections in time; the message holds its log.
        """
        if self.running:
            return
        self._server = WatchedServer(self._command, host=self.host, port=self.port, grace=10.0)
        ready = [
            str(self._binaries / "pg_isready"), "--quiet", "--timeout", "2", "--host", self.host,
            "--port", str(self.port), "--username", _USER, "--dbname", "postgres",
        ]  # fmt: skip
        deadline = time.monotonic() + timeout
        while subprocess.run(ready).returncode != 0:  # it listens, then recovers, then accepts
            if not self.running or time.monotonic() > deadline:
                what = (
                    "exited before it took" if not self.running else f"within {timeout:g} s took no"
                )
                self.stop("immediate")
                raise ServerStartError(
                    f"PostgreSQL {what} connections on {self.host}:{self.port}; "
                    f"its log:\n{self.logs()}"
                )
            time.sleep(0.1)

    def stop(self, mode: Literal["fast", "immediate"] = "fast") -> None:
        """Stop the server, keeping its data for :meth:`start`; safe to call twice.

        Parameters
        ----------
        mode : {"fast", "immediate"}, default="fast"
            PostgreSQL's shutdown mode: ``"fast"`` ends the open sessions, writes everything
            and stops; ``"immediate"`` stops at once, as a crash would (the next start
            recovers from the write-ahead log).

        Raises
        ------
        ValueError
            If ``mode`` is neither.
        """
        if mode not in _SHUTDOWN:
            raise ValueError(f"mode={mode!r}: pass 'fast' or 'immediate'.")
        if self._server is None:
            return
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            postmaster = int((self._folder / "data" / "postmaster.pid").read_text().split()[0])
            os.kill(postmaster, _SHUTDOWN[mode])  # the watchdog's SIGTERM waits for every session
            deadline = time.monotonic() + 60
            while self._server.running and time.monotonic() < deadline:
                time.sleep(0.05)
        self._server.stop()  # the watchdog, and whatever of the server is left
        self._earlier_logs += self._server.logs()
        self._server = None

    def remove(self) -> None:
        """Stop the server at once and remove its files; safe to call twice."""
        self.stop("immediate")
        shutil.rmtree(self._folder, ignore_errors=True)

    def database(self, name: str | None = None) -> str:
        """Make a new, empty database owned by the role ``prodml``; return its URL.

        Parameters
        ----------
        name : str, default=None
            Its name; ``None`` names it ``database_1``, ``database_2``, ... in turn.

        Returns
        -------
        str
            ``postgresql://prodml:<password>@host:port/<name>``.

        Raises
        ------
        RuntimeError
            If ``createdb`` fails (the server stopped, or the name is taken); says why.
        """
        if name is None:
            self._made += 1
            name = f"database_{self._made}"
        createdb = [
            str(self._binaries / "createdb"), "--host", self.host, "--port", str(self.port),
            "--username", _USER, name,
        ]  # fmt: skip
        done = subprocess.run(
            createdb, env={**os.environ, "PGPASSWORD": self.password}, capture_output=True
        )
        if done.returncode:
            raise RuntimeError(f"createdb {name} failed: {done.stderr.decode().strip()}")
        return self._url(name)


def _as_postgres_user(folder: Path) -> list[str]:
    """The prefix that runs a command as ``postgres`` when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return []
    shutil.chown(folder, "postgres", "postgres")
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


def local_postgres(
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    allow: str | None = None,
    prefix: Sequence[str] = (),
    timeout: float = 60.0,
) -> LocalPostgres:
    """Start a new PostgreSQL cluster in a temporary folder, with a random password.

    ``initdb`` makes the cluster (role ``prodml``, password authentication, SCRAM), the server
    listens on ``host:port`` only, and a database ``prediction_log`` is made. Run as root, the
    server runs as the ``postgres`` user (PostgreSQL refuses root). It is throwaway: it never
    waits for the disk (``fsync=off``), and its files go when it is removed.

    Parameters
    ----------
    host : str, default="127.0.0.1"
        The address it listens on.
    port : int, default=None
        A free port of ``host`` when ``None``.
    allow : str, default=None
        A network (CIDR) whose clients may connect with the password, e.g. the replicas'
        ``"10.31.0.0/24"``; ``host`` alone when ``None``.
    prefix : sequence of str, default=()
        A command the server runs under, e.g. ``["ip", "netns", "exec", "db"]`` to run it on
        another network namespace (then give ``port``: ours are not free there).
    timeout : float, default=60.0
        Seconds to wait for the server to take connections.

    Returns
    -------
    LocalPostgres
        Running; a context manager that stops it and removes its files.

    Raises
    ------
    FileNotFoundError
        If PostgreSQL is not installed (see :func:`postgres_available`).
    ServerStartError
        If the cluster cannot be made or the server does not start; the message says why.

    Examples
    --------
    >>> with local_postgres() as db:  # doctest: +SKIP
    ...     print(db)
    LocalPostgres(url='postgresql://prodml:***@127.0.0.1:41235/prediction_log', running)
    """
    binaries = _postgres_bin()
    if binaries is None or not postgres_available():
        raise FileNotFoundError(
            "PostgreSQL's server programs (initdb, postgres) are not here: install Debian's "
            "postgresql package (apt-get install postgresql) or Homebrew's postgresql, or keep "
            "the SQLite log."
        )
    port = port or free_port(host)
    password = secrets.token_urlsafe(18)
    folder = Path(tempfile.mkdtemp(prefix="prodml-postgres-"))
    as_postgres = _as_postgres_user(folder)
    (folder / "password").write_text(password)
    data = folder / "data"
    made = subprocess.run(
        [
            *as_postgres, str(binaries / "initdb"), "--pgdata", str(data), "--username", _USER,
            "--pwfile", str(folder / "password"), "--auth", "scram-sha-256", "--encoding",
            "UTF8", "--no-sync",
        ],
        capture_output=True, text=True,
    )  # fmt: skip
    (folder / "password").unlink()
    if made.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise ServerStartError(f"initdb failed:\n{made.stdout}{made.stderr}")
    rules = [f"host all {_USER} {network} scram-sha-256" for network in (f"{host}/32", allow)]
    (data / "pg_hba.conf").write_text("\n".join(rules[: 2 if allow else 1]) + "\n")
    command = [
        *prefix, *as_postgres, str(binaries / "postgres"), "-D", str(data), "-p", str(port),
        "-c", f"listen_addresses={host}", "-c", f"unix_socket_directories={folder}",
        "-c", "fsync=off", "-c", "shared_buffers=16MB",
    ]  # fmt: skip
    database = LocalPostgres(binaries, folder, command, host, port, password)
    try:
        database.start(timeout)
        database.database(_DATABASE)
    except BaseException:
        database.remove()
        raise
    return database
