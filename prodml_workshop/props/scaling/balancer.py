"""nginx as the load balancer of replicas: one address, requests in turn, a failed one skipped.

:func:`nginx_available` says whether nginx is installed; :func:`balancer` starts it in front of
replicas with a configuration file of its own, and :class:`Balancer` reads from its access log
which replica answered each request. It runs under the serving session's watchdog
(:mod:`prodml_workshop.serving.watchdog`): it stops when its ``with`` block ends, or when this
process dies.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from prodml_workshop.serving.ports import free_port
from prodml_workshop.serving.watched_server import ServerStartError, WatchedServer

__all__ = ["Balancer", "balancer", "nginx_available"]


def _nginx() -> str | None:
    """The nginx program: on the PATH, else in an sbin folder (off a user's PATH on Debian)."""
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


def _wait_for_port(host: str, port: int, process: WatchedServer, timeout: float) -> None:
    """Wait until ``host:port`` accepts a connection; stop ``process`` and raise if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running:
            process.stop()
            raise ServerStartError(f"nginx exited before it listened; its log:\n{process.logs()}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.1)
    process.stop()
    raise ServerStartError(
        f"nginx did not listen on {host}:{port} within {timeout:g} s; its log:\n{process.logs()}"
    )


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

    def answered_by(self, wait_for: Collection[str] = (), timeout: float = 5.0) -> dict[str, str]:
        """Return the replica (``host:port``) that answered each request id, from nginx's log.

        A request that nginx retried on another replica is counted for the one that answered.
        nginx writes a request's line once its answer is sent, so a client can hold the answer
        before the line exists: the request ids in ``wait_for`` are waited for, up to
        ``timeout`` seconds (what is in the log by then is returned).
        """
        wanted = set(wait_for)
        return self._log_once(lambda answered: wanted <= answered.keys(), timeout)

    def counts(self, total: int = 0, timeout: float = 5.0) -> Counter[str]:
        """Return how many requests each replica answered, once ``total`` are in the log.

        ``total`` requests are waited for up to ``timeout`` seconds, as in :meth:`answered_by`.
        """
        return Counter(self._log_once(lambda answered: len(answered) >= total, timeout).values())

    def _log_once(
        self, complete: Callable[[dict[str, str]], bool], timeout: float
    ) -> dict[str, str]:
        # nginx's log, request id -> the replica that answered, read until complete or timeout
        deadline = time.monotonic() + timeout
        while True:
            answered = {}
            for line in (self._folder / "access.log").read_text().splitlines():
                request_id, _, upstreams, _ = line.split("|")
                answered[request_id] = upstreams.split(", ")[-1]
            if complete(answered) or time.monotonic() > deadline:
                return answered
            time.sleep(0.05)

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
    _wait_for_port(host, port, server, timeout)
    return Balancer(server, f"http://{host}:{port}", list(upstreams), folder)
