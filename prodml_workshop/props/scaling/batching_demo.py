"""Start the batching experiment's BentoML service, and read what its model calls held.

:func:`serve_batching_demo` runs ``bentoml serve
prodml_workshop.props.scaling.batching_service:BatchingDemo`` (see :mod:`.batching_service`: one
model behind ``/predict``, declared ``batchable=True``, and ``/predict_unbatched``, left at
BentoML's default ``batchable=False``) on a free port, under the serving session's watchdog,
stopped when the ``with`` block ends. :func:`records_per_call` sets the model calls the
server made beside the stages of a load test: how many records each call held at each load.

Adaptive batching is not on by default in BentoML: an API merges concurrent requests only
when it is declared ``@bentoml.api(batchable=True)`` (``_bentoml_sdk/method.py`` in BentoML
1.4: ``batchable: bool = False``, ``max_batch_size: int = 100``, ``max_latency_ms: int =
60000``). The workshop's own service declares it, and ``serve(batching=False)`` turns it off.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from prodml_workshop.serving.ports import free_port
from prodml_workshop.serving.watched_server import WatchedServer

__all__ = ["BatchingServer", "records_per_call", "serve_batching_demo"]

_SERVICE = "prodml_workshop.props.scaling.batching_service:BatchingDemo"


class BatchingServer(WatchedServer):
    """A running batching experiment. Made by :func:`serve_batching_demo`; stop it with ``stop``.

    Attributes
    ----------
    url : str
        E.g. ``"http://127.0.0.1:50125"``.
    port : int
        The port it listens on.
    model_dir : pathlib.Path
        The model package it serves.
    """

    def __init__(self, *, model_dir: Path, host: str, port: int, workers: int = 1) -> None:
        self.model_dir = model_dir
        command = [sys.executable, "-m", "bentoml", "serve", _SERVICE, "--host", host,
                   "--port", str(port)]  # fmt: skip
        options = " ".join(
            filter(None, [os.environ.get("BENTOML_CONFIG_OPTIONS"),
                          f"services.BatchingDemo.workers={workers}"])
        )  # fmt: skip
        env = {"PRODML_MODEL_DIR": str(model_dir), "BENTOML_CONFIG_OPTIONS": options}
        super().__init__(command, host=host, port=port, env=env)

    def __enter__(self) -> BatchingServer:
        return self

    @property
    def pid(self) -> int:
        """The process id of the server (its model worker is a descendant), for CPU sampling."""
        return self._process.pid

    @property
    def worker_processes(self) -> list[Any]:
        """The server's model workers (``psutil.Process``), each with its copy of the model."""
        import psutil

        found = []
        for process in psutil.Process(self.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):  # it may end while we look
                if "_bentoml_impl.worker.service" in " ".join(process.cmdline()):
                    found.append(process)
        return found

    def calls(self) -> dict[str, list[tuple[float, int]]]:
        """Return every model call each API made so far: ``(epoch seconds, records)``.

        Returns
        -------
        dict of str to list of (float, int)
            Keyed ``"predict"`` (batched) and ``"predict_unbatched"``.
        """
        import requests

        response = requests.post(f"{self.url}/calls", json={}, timeout=30)
        response.raise_for_status()
        answer = response.json()
        return {api: [(float(t), int(n)) for t, n in calls] for api, calls in answer.items()}


def serve_batching_demo(
    model_dir: str | Path | None = None,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    timeout: float = 90.0,
    wait: bool = True,
    workers: int = 1,
) -> BatchingServer:
    """Serve a model package with and without adaptive batching, from BentoML workers.

    Parameters
    ----------
    model_dir : str or pathlib.Path, default=None
        A model package that loads without ``trusted=True``; the default penguin model when
        ``None``.
    port : int, default=None
        A free port is chosen when ``None``.
    host : str, default="127.0.0.1"
        The interface to listen on.
    timeout : float, default=90.0
        Seconds to wait for ``GET /readyz`` to answer 200.
    wait : bool, default=True
        Wait until the server is ready. ``False`` returns at once, while the server starts
        (imports, model loading): call ``server.wait_until_ready(timeout)`` before using it.
    workers : int, default=1
        Worker processes, each with its own copy of the model, accepting on the same port.
        :meth:`BatchingServer.calls` answers the calls of the worker that takes that request.

    Returns
    -------
    BatchingServer
        Running (or starting, with ``wait=False``); also a context manager that stops it on
        exit.

    Raises
    ------
    ServerStartError
        If the server exits before it is ready or is not ready in time; the message holds
        its log.

    Examples
    --------
    >>> with serve_batching_demo(model_dir) as server:  # doctest: +SKIP
    ...     batched = load_test(server.url, users=(1, 8, 32), duration=2, payload=body,
    ...                         endpoint="/predict", server_pid=server.pid)
    ...     calls = server.calls()
    """
    if model_dir is None:
        from prodml_workshop.serving import default_model_dir

        model_dir = default_model_dir()
    server = BatchingServer(
        model_dir=Path(model_dir).expanduser().resolve(),
        host=host,
        port=port or free_port(host),
        workers=workers,
    )
    if wait:
        server.wait_until_ready(timeout)
    return server


def records_per_call(calls: list[tuple[float, int]], stats: pd.DataFrame) -> pd.DataFrame:
    """Count the model calls made during each stage of a load test, and the records they held.

    Parameters
    ----------
    calls : list of (float, int)
        Model calls of one API, ``(epoch seconds, records)``, as
        :meth:`BatchingServer.calls` gives them.
    stats : pandas.DataFrame
        What :func:`~prodml_workshop.scaling.load_test` returned for that API; its
        ``measured_from`` and ``measured_to`` delimit each stage's measured span.

    Returns
    -------
    pandas.DataFrame
        One row per stage: ``users``, ``calls``, ``records``, ``records_per_call`` (mean)
        and ``max_records`` (the largest call).

    Raises
    ------
    ValueError
        If ``stats`` lacks the measured spans (not a table of ``load_test``).

    Examples
    --------
    >>> stats = pd.DataFrame({"users": [1, 32], "measured_from": [10.0, 20.0],
    ...                       "measured_to": [12.0, 22.0]})
    >>> calls = [(10.5, 1), (11.0, 1), (20.5, 20), (21.0, 12), (25.0, 3)]
    >>> records_per_call(calls, stats)
       users  calls  records  records_per_call  max_records
    0      1      2        2               1.0            1
    1     32      2       32              16.0           20
    """
    if not {"measured_from", "measured_to"} <= set(stats.columns):
        raise ValueError("stats lacks measured_from/measured_to: pass what load_test returned.")
    frame = pd.DataFrame(calls, columns=["time", "records"])
    rows: list[dict[str, Any]] = []
    for users, start, end in stats[["users", "measured_from", "measured_to"]].itertuples(
        index=False
    ):
        records = frame.loc[frame["time"].between(start, end), "records"]
        rows.append(
            {
                "users": users,
                "calls": len(records),
                "records": int(records.sum()),
                "records_per_call": records.mean() if len(records) else float("nan"),
                "max_records": int(records.max()) if len(records) else 0,
            }
        )
    return pd.DataFrame(rows)
