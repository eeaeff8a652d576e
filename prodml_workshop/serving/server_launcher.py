"""Caller side: start the BentoML service from a notebook, and be sure it stops.

:func:`serve` runs ``bentoml serve prodml_workshop.serving.service:ModelService`` in a
subprocess, on a free port of 127.0.0.1, under a watchdog (see :mod:`.watchdog`) that stops
the server's whole process tree when the server is stopped, when the ``with`` block ends
(also by an exception or an interrupted kernel), when the interpreter exits, or when the
kernel is killed or restarted. No server is left behind holding a port. :func:`serve_bento`
does the same for a built Bento: ``bentoml serve <bento tag>``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .log_database import log_location
from .ports import free_port
from .prediction_log import DEFAULT_LOG_NAME
from .rollout import rollout_env
from .watched_server import ServerStartError, WatchedServer

__all__ = ["ModelServer", "ServerStartError", "WatchedServer", "serve", "serve_bento"]

_SERVICE = "prodml_workshop.serving.service:ModelService"


class ModelServer(WatchedServer):
    """A running model server: its URL, a client, its log. Stop it with :meth:`stop`.

    Made by :func:`serve` (the service of the source, serving a model package) or
    :func:`serve_bento` (a built Bento); use it as a context manager so that it always stops.

    Attributes
    ----------
    url : str
        E.g. ``"http://127.0.0.1:50123"``.
    port : int
        The port it listens on.
    model_dir : pathlib.Path or None
        The model package it serves; ``None`` for a Bento, which serves its own model.
    bento : str or None
        The tag of the Bento it serves, e.g. ``"prodml-model-service:latest"``; ``None``
        when it serves the source's service.
    log_db : pathlib.Path or str
        Its prediction log, a SQLite file or a PostgreSQL URL (read it with
        :func:`~prodml_workshop.serving.read_log`).

    Notes
    -----
    ``prefix``, a command that runs ``bentoml serve`` (e.g. ``["ip", "netns", "exec",
    "replica-1"]``, on another network namespace), is for tests that make several hosts of
    one machine; it must exec the server in place, so that stopping it stops the server.
    """

    def __init__(
        self,
        *,
        model_dir: Path | None,
        log_db: Path | str,
        host: str,
        port: int,
        workers: int,
        batching: bool,
        grace: float,
        bento: str | None = None,
        bentoml_home: Path | None = None,
        settings: dict[str, str] | None = None,
        prefix: Sequence[str] = (),
    ) -> None:
        self.model_dir = model_dir
        self.bento = bento
        self.log_db = log_db
        self._client: Any = None
        options = [
            os.environ.get("BENTOML_CONFIG_OPTIONS"),
            f"services.ModelService.workers={workers}",
        ]
        env = {
            "PRODML_LOG_DB": str(log_db),
            "PRODML_BATCHING": "1" if batching else "0",
            "BENTOML_CONFIG_OPTIONS": " ".join(filter(None, options)),
            **(settings or {}),
        }
        if model_dir is not None:
            env["PRODML_MODEL_DIR"] = str(model_dir)
        if bentoml_home is not None:
            env["BENTOML_HOME"] = str(bentoml_home)
        command = [
            *prefix, sys.executable, "-m", "bentoml", "serve", bento or _SERVICE,
            "--host", host, "--port", str(port),
        ]  # fmt: skip
        super().__init__(command, host=host, port=port, env=env, grace=grace)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        serves = f"bento={self.bento!r}" if self.bento else f"model_dir='{self.model_dir}'"
        return f"ModelServer(url={self.url!r}, {serves}, {state})"

    def __enter__(self) -> ModelServer:
        return self

    @property
    def client(self) -> Any:
        """A ``bentoml.SyncHTTPClient`` of the server, made on first use.

        Examples
        --------
        >>> server.client.predict(records=[penguin])  # doctest: +SKIP
        ['Adelie']
        """
        if self._client is None:
            import bentoml

            self._client = bentoml.SyncHTTPClient(self.url, server_ready_timeout=0)
        return self._client

    def stop(self) -> None:
        """Stop the server and all its workers; safe to call more than once."""
        if self._client is not None and self._final_log is None:
            self._client.close()
        super().stop()


#: Starts tried when a port is taken between being picked and being bound (see _start).
PORT_RACE_ATTEMPTS = 3


def _start(make: Callable[[int], ModelServer], host: str, timeout: float) -> ModelServer:
    """Start ``make(free_port)`` and wait until it is ready, again if a port was taken meanwhile.

    A free port is only free when it is picked: ours (when the caller gave none) and the one
    ``bentoml serve``'s supervisor picks for its control socket can be taken by another
    program before they are bound (a Jupyter kernel binds five at random). The server then
    exits with "Address already in use"; a new start picks new ports. Any other failure, or
    the same one ``PORT_RACE_ATTEMPTS`` times, is raised as it is.
    """
    attempt = 1
    while True:
        server = make(free_port(host))
        try:
            server.wait_until_ready(timeout)
            return server
        except ServerStartError as error:
            if "Address already in use" not in str(error) or attempt == PORT_RACE_ATTEMPTS:
                raise
        attempt += 1


def serve(
    model_dir: str | Path | None = None,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    workers: int = 1,
    batching: bool = True,
    log_db: str | Path | None = None,
    timeout: float = 60.0,
    grace: float = 10.0,
    quality: str = "log",
    shadow: str | Path | None = None,
    canary: str | Path | None = None,
    canary_share: float | None = None,
) -> ModelServer:
    """Start the model server and wait until it is ready.

    Parameters
    ----------
    model_dir : str or pathlib.Path, default=None
        A model package written by :func:`~prodml_workshop.packaging.save_model`; the
        default penguin model (built on first use) when ``None``.
    port : int, default=None
        A free port is chosen when ``None``.
    host : str, default="127.0.0.1"
        The interface to listen on; only this machine can connect to the default.
    workers : int, default=1
        Worker processes; each loads the model and writes to the same log.
    batching : bool, default=True
        Adaptive batching: requests that arrive together are merged into one model call.
        ``False`` makes every request its own call (``PRODML_BATCHING=0``).
    log_db : str or pathlib.Path, default=None
        The prediction log: a SQLite file (``prediction_log.sqlite`` in the current folder
        when ``None``) or a PostgreSQL URL, ``postgresql://user@host:5432/db`` (see
        :mod:`.prediction_log`).
    timeout : float, default=60.0
        Seconds to wait for ``GET /readyz`` to answer 200.
    grace : float, default=10.0
        Seconds the server has to stop after SIGTERM before it is killed.
    quality : {"log", "refuse"}, default="log"
        Records out of the package's reference range: logged, or refused (422).
    shadow, canary : str or pathlib.Path, default=None
        A second package, scoring every request in the shadow or answering ``canary_share``
        of them (one of the two; see :mod:`.rollout`).
    canary_share : float, default=None
        The share of request ids the canary answers, from 0 to 1.

    Returns
    -------
    ModelServer
        Running; also a context manager that stops it on exit.

    Raises
    ------
    RolloutConfigError
        If ``quality``, ``shadow``, ``canary`` or ``canary_share`` are not valid together.
    ServerStartError
        If the server exits before it is ready (e.g. ``model_dir`` is not a model package,
        or the port is taken) or is not ready within ``timeout``; the message holds its log.

    Examples
    --------
    >>> from prodml_workshop.serving import serve, to_records
    >>> with serve("models/penguins") as server:  # doctest: +SKIP
    ...     print(server.client.predict(records=to_records(X_test.head(3))))
    ['Adelie', 'Gentoo', 'Adelie']
    >>> with serve("models/v1", shadow="models/v2") as server:  # doctest: +SKIP
    ...     requests.post(f"{server.url}/predict", json={"records": records}).headers
    {..., 'x-model-version': 'skops-3f2a9c1b7d04'}
    """
    settings = rollout_env(quality, shadow, canary, canary_share)
    if model_dir is None:
        from .default_model import default_model_dir

        model_dir = default_model_dir()
    return _start(
        lambda free: ModelServer(
            model_dir=Path(model_dir).expanduser().resolve(),
            log_db=log_location(log_db or DEFAULT_LOG_NAME),
            host=host,
            port=port or free,
            workers=workers,
            batching=batching,
            grace=grace,
            settings=settings,
        ),
        host,
        timeout,
    )


def serve_bento(
    bento: str,
    *,
    bentoml_home: str | Path | None = None,
    port: int | None = None,
    host: str = "127.0.0.1",
    workers: int = 1,
    batching: bool = True,
    log_db: str | Path | None = None,
    timeout: float = 60.0,
    grace: float = 10.0,
) -> ModelServer:
    """Start a built Bento (``bentoml serve <bento>``) and wait until it is ready.

    The Bento serves the model it was built with, from BentoML's model store; it needs
    neither ``PRODML_MODEL_DIR`` nor this checkout, only the store.

    Parameters
    ----------
    bento : str
        The Bento's tag, e.g. ``"prodml-model-service:latest"`` (what ``bentoml build``
        printed).
    bentoml_home : str or pathlib.Path, default=None
        The BentoML home holding the Bento and its model (``bentos/`` and ``models/``);
        ``$BENTOML_HOME`` or ``~/bentoml`` when ``None``. The server keeps its metrics there
        too, so serve one Bento of a home at a time.
    port : int, default=None
        A free port is chosen when ``None``.
    host : str, default="127.0.0.1"
        The interface to listen on.
    workers : int, default=1
        Worker processes.
    batching : bool, default=True
        Adaptive batching, as for :func:`serve`.
    log_db : str or pathlib.Path, default=None
        The prediction log: a SQLite file (``prediction_log.sqlite`` in the current folder
        when ``None``) or a PostgreSQL URL, ``postgresql://user@host:5432/db`` (see
        :mod:`.prediction_log`).
    timeout : float, default=60.0
        Seconds to wait for ``GET /readyz`` to answer 200.
    grace : float, default=10.0
        Seconds the server has to stop after SIGTERM before it is killed.

    Returns
    -------
    ModelServer
        Running, with ``bento`` set; also a context manager that stops it on exit.

    Raises
    ------
    ServerStartError
        If the server exits before it is ready (e.g. no such Bento in the store) or is not
        ready within ``timeout``; the message holds its log.

    Examples
    --------
    >>> from prodml_workshop.serving import serve_bento
    >>> with serve_bento("prodml-model-service:latest") as server:  # doctest: +SKIP
    ...     print(server.client.predict(records=records))
    ['Adelie', 'Gentoo']
    """
    home = bentoml_home or os.environ.get("BENTOML_HOME") or Path.home() / "bentoml"
    return _start(
        lambda free: ModelServer(
            model_dir=None,
            bento=bento,
            bentoml_home=Path(home).expanduser().resolve(),
            log_db=log_location(log_db or DEFAULT_LOG_NAME),
            host=host,
            port=port or free,
            workers=workers,
            batching=batching,
            grace=grace,
        ),
        host,
        timeout,
    )
