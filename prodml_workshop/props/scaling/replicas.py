"""Serving beyond one machine: two replicas behind one address, writing one PostgreSQL log.

An autoscaler runs a model as several replicas; each writes its predictions somewhere, and the
monitoring job must read them together. Here that is one PostgreSQL database, given to every
replica as its ``PRODML_LOG_DB`` URL:

* :func:`serve_replicas` starts the replicas of one package with :func:`~prodml_workshop.
  serving.serve`, on loopback ports of this machine, behind nginx (:func:`~prodml_workshop.
  props.scaling.balancer`) or, without nginx, behind a round-robin client of this process.
* :func:`shared_log` gives the log they share: a throwaway PostgreSQL database
  (:func:`~prodml_workshop.props.scaling.local_postgres`) where it is installed, else a SQLite
  file (which only replicas of one machine can share).

Every process runs under the serving session's watchdog (:mod:`prodml_workshop.serving.
watchdog`): it stops when its ``with`` block ends, or when this process dies. The tests run
the same pieces on separate network namespaces, one "host" each (``tests/hosts.py``).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from prodml_workshop.serving import serve
from prodml_workshop.serving.log_database import shown_location

from .balancer import Balancer, balancer, nginx_available
from .local_postgres import local_postgres, postgres_available

__all__ = ["Replicas", "serve_replicas", "shared_log"]


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
        shown = shown_location(self.log_db)
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
