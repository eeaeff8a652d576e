"""Serve the one-screen service of :mod:`.penguin_service`, and name the processes of a server.

:func:`store_model` puts a model package into the model store of a BentoML home (as the full
service does when it starts, see :func:`~prodml_workshop.serving.model_store.store_package`);
:func:`serve_penguin_service` runs ``bentoml serve`` on that service file, under the serving
session's watchdog; :func:`process_table` lists the processes of a running server, with what
each one does.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from prodml_workshop.serving import WatchedServer
from prodml_workshop.serving.ports import free_port

__all__ = ["SERVICE", "process_table", "serve_penguin_service", "store_model"]

#: What ``bentoml serve`` is given: the service file's module and its class.
SERVICE = "prodml_workshop.props.serving.penguin_service:PenguinClassifier"

_STORE = (
    "import sys\n"
    "from prodml_workshop.serving.model_store import store_package\n"
    "print(store_package(sys.argv[1]))"
)


def store_model(model_dir: str | Path, bentoml_home: str | Path) -> str:
    """Copy a model package into the model store of ``bentoml_home``; return its tag.

    Run in a subprocess: BentoML reads ``BENTOML_HOME`` once, when a process first uses it.
    The tag's name is the package folder's name (``penguins`` for the service file).

    Parameters
    ----------
    model_dir : str or pathlib.Path
        A model package written by :func:`~prodml_workshop.packaging.save_model`.
    bentoml_home : str or pathlib.Path
        The BentoML home whose ``models/`` store receives it.

    Returns
    -------
    str
        The stored model's tag, e.g. ``"penguins:skops-3f2a9c1b7d04"``.

    Raises
    ------
    RuntimeError
        If the package could not be stored; the message holds the reason.

    Examples
    --------
    >>> store_model("models/penguins", "models/bentoml")  # doctest: +SKIP
    'penguins:skops-3f2a9c1b7d04'
    """
    env = {**os.environ, "BENTOML_HOME": str(bentoml_home), "BENTOML_DO_NOT_TRACK": "true"}
    done = subprocess.run(
        [sys.executable, "-c", _STORE, str(Path(model_dir).resolve())],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"Could not store {model_dir} in {bentoml_home}; is it a model package written by "
            f"save_model? The error:\n{done.stderr[-2000:]}"
        )
    return done.stdout.strip().splitlines()[-1]


def serve_penguin_service(
    bentoml_home: str | Path, *, host: str = "127.0.0.1", timeout: float = 60.0
) -> WatchedServer:
    """Run ``bentoml serve`` on :mod:`.penguin_service` and wait until it is ready.

    Parameters
    ----------
    bentoml_home : str or pathlib.Path
        A BentoML home whose model store holds ``penguins`` (see :func:`store_model`).
    host : str, default="127.0.0.1"
        The interface to listen on.
    timeout : float, default=60.0
        Seconds to wait for ``GET /readyz`` to answer 200.

    Returns
    -------
    WatchedServer
        Running; a context manager that stops it on exit.

    Raises
    ------
    ServerStartError
        If the server exits first (e.g. no ``penguins`` model in the store) or is not ready
        in time; the message holds its log.

    Examples
    --------
    >>> with serve_penguin_service("models/bentoml") as server:  # doctest: +SKIP
    ...     requests.post(f"{server.url}/predict", json={"penguins": [penguin]}).json()
    ['Adelie']
    """
    port = free_port(host)
    command = [sys.executable, "-m", "bentoml", "serve", SERVICE, "--host", host,
               "--port", str(port)]  # fmt: skip
    server = WatchedServer(command, host=host, port=port, env={"BENTOML_HOME": str(bentoml_home)})
    server.wait_until_ready(timeout)
    return server


def _role(command: str) -> str:
    if "watchdog.py" in command:
        return "watchdog: stops the tree when the kernel goes"
    if "_bentoml_impl.worker.service" in command:
        return "worker: HTTP server and the model"
    if "bentoml serve" in command or "bentoml.exe serve" in command:
        return "supervisor (circus arbiter): binds the port, starts the workers"
    return "other"


def process_table(pid: int, *, port: int) -> pd.DataFrame:
    """List a server process and its descendants, with what each does and its memory.

    Parameters
    ----------
    pid : int
        The first process of the server, e.g. the watchdog of a server started by
        :func:`~prodml_workshop.serving.serve` (``psutil.Process().children()``).
    port : int
        The server's port, to tell which processes have its listening socket open.

    Returns
    -------
    pandas.DataFrame
        One row per process, parents first: ``pid``, ``parent``, ``role``, ``rss_mb``,
        ``listens`` (whether it has a socket listening on ``port``; ``None`` when the system
        does not tell) and ``command`` (the program's name, then its arguments).

    Examples
    --------
    >>> import os
    >>> table = process_table(os.getpid(), port=1)  # this Python: no server
    >>> table.loc[0, "role"], bool(table.loc[0, "listens"])
    ('other', False)
    """
    import psutil

    top = psutil.Process(pid)
    rows = []
    for process in [top, *top.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):  # it may end while we look
            words = process.cmdline()
            command = " ".join(Path(words[0]).name if i == 0 else w for i, w in enumerate(words))
            listens: bool | None = None
            with contextlib.suppress(psutil.AccessDenied):
                listens = any(
                    c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
                    for c in process.net_connections(kind="tcp")
                )
            rows.append({
                "pid": process.pid,
                "parent": process.ppid(),
                "role": _role(command),
                "rss_mb": process.memory_info().rss / 1e6,
                "listens": listens,
                "command": command,
            })  # fmt: skip
    return pd.DataFrame(rows)
