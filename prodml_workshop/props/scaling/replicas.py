"""Serving beyond one machine: two replicas behind one address, writing one PostgreSQL log.

An autoscaler runs a model as several replicas; each writes its predictions somewhere, and the
monitoring job must read them together. Here that is one PostgreSQL database, given to every
replica as its ``PRODML_LOG_DB`` URL:

* :func:`postgres_available` says whether PostgreSQL's server programs are here (Debian's
  ``postgresql`` package, Homebrew's, or any ``initdb``/``postgres`` on the ``PATH``), and
  :func:`local_postgres` starts a throwaway cluster of it, with a password, and gives its URL.
* :func:`nginx_available` and :func:`balancer` put nginx, the load balancer, in front of
  replicas: one address, requests spread over the replicas, a replica that fails skipped.
* :func:`serve_replicas` starts the replicas of one package with :func:`~prodml_workshop.
  serving.serve`, on loopback ports of this machine, behind the balancer (or, without nginx,
  behind a round-robin client of this process); :func:`shared_log` gives the log they share:
  a throwaway PostgreSQL database where it is installed, else a SQLite file (which only
  replicas of one machine can share).

Every process runs under the serving session's watchdog (:mod:`prodml_workshop.serving.
watchdog`): it stops when its ``with`` block ends, or when this process dies. The tests run
the same pieces on separate network namespaces, one "host" each (``tests/hosts.py``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prodml_workshop.serving import serve
from prodml_workshop.serving.ports import free_port
from prodml_workshop.serving.watched_server import ServerStartError, WatchedServer

__all__ = [
    "Balancer",
    "LocalPostgres",
    "Replicas",
    "balancer",
    "local_postgres",
    "nginx_available",
    "postgres_available",
    "serve_replicas",
    "shared_log",
]

#: Where Debian installs PostgreSQL's server programs, one folder per major version.
_DEBIAN_POSTGRES = Path("/usr/lib/postgresql")
#: The role and database of the cluster :func:`local_postgres` makes.
_USER = "prodml"
_DATABASE = "prediction_log"


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


def _nginx() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def nginx_available() -> bool:
    """Whether nginx is installed here (Debian's ``nginx`` package, Homebrew's ``nginx``).

    Returns
    -------
    bool
        True if :func:`balancer` can start one.

    Examples
    --------
    >>> isinstance(nginx_available(), bool)
    True
    """
    return _nginx() is not None


def _hide_password(url: str) -> str:
    """``url`` with its password, if any, shown as ``***``."""
    return re.sub(r"^(\w+://[^:/@]*):[^/@]*@", r"\1:***@", url)


def _wait_for_port(host: str, port: int, process: WatchedServer, timeout: float, what: str) -> None:
    """Wait until ``host:port`` accepts a connection; stop ``process`` and raise if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running:
            process.stop()
            raise ServerStartError(f"{what} exited before it listened; its log:\n{process.logs()}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.1)
    process.stop()
    raise ServerStartError(
        f"{what} did not listen on {host}:{port} within {timeout:g} s; its log:\n{process.logs()}"
    )


class LocalPostgres:
    """A throwaway PostgreSQL cluster: its URL (with the password), stopped by :meth:`stop`.

    Made by :func:`local_postgres`; a context manager that stops it and removes its files.

    Attributes
    ----------
    url : str
        ``postgresql://prodml:<password>@host:port/prediction_log``: give it to the replicas
        as ``PRODML_LOG_DB`` (an environment variable, never a file in the repository).
    host, port : str, int
        Where it listens.
    """

    def __init__(self, folder: Path, server: WatchedServer, host: str, port: int, password: str):
        self._folder = folder
        self._server = server
        self.host = host
        self.port = port
        self.url = f"postgresql://{_USER}:{password}@{host}:{port}/{_DATABASE}"

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LocalPostgres(url={_hide_password(self.url)!r}, {state})"

    def __enter__(self) -> LocalPostgres:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._server.running

    def logs(self) -> str:
        """What the server has written so far."""
        return self._server.logs()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its files; safe to call twice."""
        self._server.stop()
        shutil.rmtree(self._folder, ignore_errors=True)


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
    server runs as the ``postgres`` user (PostgreSQL refuses root).

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
        Seconds to wait for the server to accept connections.

    Returns
    -------
    LocalPostgres
        Running; a context manager that stops it.

    Raises
    ------
    FileNotFoundError
        If PostgreSQL is not installed (see :func:`postgres_available`).
    ServerStartError
        If the server does not start; the message holds its log.

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
    subprocess.run(
        [
            *as_postgres, str(binaries / "initdb"), "--pgdata", str(data), "--username", _USER,
            "--pwfile", str(folder / "password"), "--auth", "scram-sha-256", "--encoding",
            "UTF8", "--no-sync",
        ],
        check=True, capture_output=True,
    )  # fmt: skip
    (folder / "password").unlink()
    rules = [f"host all {_USER} {network} scram-sha-256" for network in (f"{host}/32", allow)]
    (data / "pg_hba.conf").write_text("\n".join(rules[: 2 if allow else 1]) + "\n")
    command = [
        *prefix, *as_postgres, str(binaries / "postgres"), "-D", str(data), "-p", str(port),
        "-c", f"listen_addresses={host}", "-c", f"unix_socket_directories={folder}",
    ]  # fmt: skip
    server = WatchedServer(command, host=host, port=port, grace=10.0)
    _wait_for_port(host, port, server, timeout, "PostgreSQL")
    database = LocalPostgres(folder, server, host, port, password)
    environment = {**os.environ, "PGPASSWORD": password}
    createdb = [str(binaries / "createdb"), "-h", host, "-p", str(port), "-U", _USER, _DATABASE]
    deadline = time.monotonic() + timeout
    try:
        while (done := subprocess.run(createdb, env=environment, capture_output=True)).returncode:
            if time.monotonic() > deadline:  # it listens before it accepts logins
                raise ServerStartError(f"createdb failed: {done.stderr.decode()}")
            time.sleep(0.2)
    except BaseException:
        database.stop()
        raise
    return database


#: One line per request in the balancer's access log: the request id, its status, the replica.
#: A retried request lists every replica tried, e.g. ``10.0.0.3:3000, 10.0.0.4:3000``.
_LOG_FORMAT = "$sent_http_x_request_id|$status|$upstream_addr|$upstream_status"


class Balancer:
    """nginx in front of replicas: its URL, and which replica answered each request.

    Made by :func:`balancer`; a context manager that stops it.

    Attributes
    ----------
    url : str
        The one address of all replicas, e.g. ``"http://127.0.0.1:50200"``.
    upstreams : list of str
        The replicas' ``host:port``.
    """

    def __init__(self, server: WatchedServer, url: str, upstreams: list[str], folder: Path):
        self._server = server
        self._folder = folder
        self.url = url
        self.upstreams = upstreams

    def __repr__(self) -> str:
        state = "running" if self._server.running else "stopped"
        return f"Balancer(url={self.url!r}, upstreams={self.upstreams}, {state})"

    def __enter__(self) -> Balancer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def answered_by(self) -> dict[str, str]:
        """Return the replica (``host:port``) that answered each request id, from nginx's log.

        A request that nginx retried on another replica is counted for the one that answered.
        """
        answered = {}
        for line in (self._folder / "access.log").read_text().splitlines():
            request_id, _, upstreams, _ = line.split("|")
            answered[request_id] = upstreams.split(", ")[-1]
        return answered

    def counts(self) -> Counter[str]:
        """Return how many requests each replica answered."""
        return Counter(self.answered_by().values())

    def stop(self) -> None:
        """Stop nginx and remove its folder; safe to call twice."""
        self._server.stop()
        shutil.rmtree(self._folder, ignore_errors=True)


def balancer(
    upstreams: Sequence[str],
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    fail_timeout: float = 10.0,
    timeout: float = 30.0,
) -> Balancer:
    """Start nginx as a load balancer of ``upstreams``, with its own configuration file.

    Requests go to the replicas in turn. When a replica refuses the connection, resets it or
    answers 502/503, nginx sends the request to the next replica (also a ``POST``: a prediction
    changes nothing but the log) and leaves the failed replica out for ``fail_timeout``
    seconds. nginx runs in the foreground, as one process (``master_process off``), as this
    user, with its files in a temporary folder.

    Parameters
    ----------
    upstreams : sequence of str
        The replicas' ``host:port``.
    host : str, default="127.0.0.1"
        The address the balancer listens on.
    port : int, default=None
        A free port of ``host`` when ``None``.
    fail_timeout : float, default=10.0
        Seconds a failed replica is left out.
    timeout : float, default=30.0
        Seconds to wait for nginx to listen.

    Returns
    -------
    Balancer
        Running; a context manager that stops it.

    Raises
    ------
    FileNotFoundError
        If nginx is not installed (see :func:`nginx_available`).
    ServerStartError
        If nginx does not start (e.g. a bad upstream); the message holds its log.

    Examples
    --------
    >>> with balancer(["127.0.0.1:3001", "127.0.0.1:3002"]) as lb:  # doctest: +SKIP
    ...     requests.post(f"{lb.url}/predict", json={"records": records})
    """
    nginx = _nginx()
    if nginx is None:
        raise FileNotFoundError(
            "nginx is not installed: apt-get install nginx (Debian) or brew install nginx, or "
            "send requests to the replicas in turn from the client."
        )
    port = port or free_port(host)
    folder = Path(tempfile.mkdtemp(prefix="prodml-nginx-"))
    servers = "\n".join(
        f"    server {upstream} max_fails=1 fail_timeout={fail_timeout:g}s;"
        for upstream in upstreams
    )
    temp_paths = "\n".join(  # nginx's defaults are under /var/lib/nginx, root's
        f"  {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(f"""\
daemon off;
master_process off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
  log_format replicas '{_LOG_FORMAT}';
  access_log {folder / "access.log"} replicas;
{temp_paths}
  upstream replicas {{
{servers}
    keepalive 32;
  }}
  server {{
    listen {host}:{port};
    location / {{
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_connect_timeout 2s;
    }}
  }}
}}
""")
    command = [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"]
    server = WatchedServer(command, host=host, port=port, grace=5.0)
    _wait_for_port(host, port, server, timeout, "nginx")
    return Balancer(server, f"http://{host}:{port}", list(upstreams), folder)


class Replicas:
    """Replicas of one package behind one address: :attr:`url`, or :meth:`post` in turn.

    Made by :func:`serve_replicas`.

    Attributes
    ----------
    servers : list of ModelServer
        The replicas.
    balancer : Balancer or None
        nginx in front of them; ``None`` where nginx is not installed.
    url : str or None
        The balancer's address; ``None`` without nginx (then use :meth:`post`).
    log_db : str
        The shared prediction log (a database URL, or a SQLite file).
    """

    def __init__(self, servers: list[Any], front: Balancer | None, log_db: str):
        self.servers = servers
        self.balancer = front
        self.url = front.url if front else None
        self.log_db = log_db
        self._next = itertools.cycle(range(len(servers)))
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        shown = _hide_password(self.log_db)
        return f"Replicas({len(self.servers)}, url={self.url!r}, log_db={shown!r})"

    def post(self, path: str, **kwargs: Any) -> Any:
        """``requests.post`` to the balancer, or without one to the next live replica in turn.

        Parameters
        ----------
        path : str
            E.g. ``"/predict"``.
        **kwargs
            Passed to ``requests.post`` (``json=``, ``headers=``, ``timeout=``).

        Returns
        -------
        requests.Response
        """
        import requests

        if self.url is not None:
            return requests.post(f"{self.url}{path}", **kwargs)
        for _ in self.servers:  # a replica that refuses the connection is skipped
            with self._lock:
                server = self.servers[next(self._next)]
            try:
                return requests.post(f"{server.url}{path}", **kwargs)
            except requests.ConnectionError:
                continue
        raise ConnectionError(f"No replica answered {path}: all {len(self.servers)} are down.")


@contextlib.contextmanager
def serve_replicas(
    package: str | Path,
    log_db: str | Path,
    *,
    replicas: int = 2,
    nginx: bool | None = None,
    timeout: float = 90.0,
) -> Iterator[Replicas]:
    """Serve ``replicas`` copies of one package on this machine, one log, one address.

    Each replica is a :func:`~prodml_workshop.serving.serve` on its own loopback port (its own
    ``bentoml serve``), all writing to ``log_db``; nginx balances them when it is installed.

    Parameters
    ----------
    package : str or pathlib.Path
        The model package.
    log_db : str or pathlib.Path
        The shared prediction log: a PostgreSQL URL (:attr:`LocalPostgres.url`), or a SQLite
        file where PostgreSQL is not available (one machine's replicas can share it).
    replicas : int, default=2
        How many.
    nginx : bool, default=None
        Put nginx in front (:func:`balancer`); ``None``: when it is installed. Without it,
        :meth:`Replicas.post` sends the requests to the replicas in turn.
    timeout : float, default=90.0
        Seconds each replica has to become ready.

    Yields
    ------
    Replicas
        Stopped, with the balancer, when the block ends.

    Examples
    --------
    >>> with local_postgres() as db, serve_replicas("models/v1", db.url) as two:  # doctest: +SKIP
    ...     two.post("/predict", json={"records": records}).json()
    """
    with contextlib.ExitStack() as stack:
        with ThreadPoolExecutor(replicas) as pool:  # started together, ready in one wait
            starts = [
                pool.submit(serve, package, log_db=log_db, timeout=timeout) for _ in range(replicas)
            ]
        servers = [stack.enter_context(s.result()) for s in starts if s.exception() is None]
        for start in starts:  # the replicas that started are stopped by the stack
            if start.exception() is not None:
                raise start.exception()
        front = None
        if nginx or (nginx is None and nginx_available()):
            upstreams = [f"127.0.0.1:{server.port}" for server in servers]
            front = stack.enter_context(balancer(upstreams))
        yield Replicas(servers, front, str(log_db))


@contextlib.contextmanager
def shared_log(folder: str | Path) -> Iterator[str]:
    """Yield a log every replica can write: a new PostgreSQL database, else a SQLite file.

    Where PostgreSQL is installed (:func:`postgres_available`), a throwaway cluster is started
    (:func:`local_postgres`) and its URL yielded; it stops when the block ends. Elsewhere (on
    Binder), ``folder/replicas.sqlite``: replicas on this one machine can share a SQLite file,
    replicas on several machines cannot.

    Parameters
    ----------
    folder : str or pathlib.Path
        Where the SQLite file goes.

    Yields
    ------
    str
        A ``postgresql://`` URL (with its password), or the SQLite file's path.

    Examples
    --------
    >>> with shared_log("logs") as log_db:  # doctest: +SKIP
    ...     print(log_db.split(":")[0])
    postgresql
    """
    if not postgres_available():
        yield str(Path(folder) / "replicas.sqlite")
        return
    with local_postgres() as database:
        yield database.url
