"""The same model behind a bare Starlette app on uvicorn: the floor of a Python HTTP service.

``POST /predict`` takes the service's body, ``{"records": [{feature: value, ...}, ...]}``, and
answers the list of predictions; ``GET /readyz`` answers 200. Nothing else happens: no
validation (a malformed body gets a bare 400), no request id, no prediction log, no adaptive
batching, no metrics or tracing. What is left (HTTP parsing, JSON in and out, a DataFrame, one
model call per request) is what any Python HTTP service pays, so the difference between this
app and the BentoML service under the same load is the price of the framework's features.

Run it with ``uvicorn --factory prodml_workshop.props.scaling.bare_app:create_app`` (it serves
``PRODML_MODEL_DIR``, else the default penguin model), or from a notebook with
:func:`serve_bare`, which starts it like :func:`~prodml_workshop.serving.serve` does the
service: on a free port, under the serving session's watchdog, stopped when the ``with`` block
ends.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prodml_workshop.serving.ports import free_port
from prodml_workshop.serving.watched_server import WatchedServer

__all__ = ["BareServer", "create_app", "serve_bare"]


def create_app(model_dir: str | Path | None = None) -> Starlette:
    """Build the bare app serving a model package.

    Parameters
    ----------
    model_dir : str or pathlib.Path, default=None
        A model package; ``$PRODML_MODEL_DIR``, else the default penguin model, when
        ``None`` (what ``uvicorn --factory`` calls).

    Returns
    -------
    starlette.applications.Starlette
        The ASGI app, with ``POST /predict`` and ``GET /readyz``.

    Examples
    --------
    >>> from starlette.testclient import TestClient
    >>> client = TestClient(create_app(package))  # doctest: +SKIP
    >>> client.post("/predict", json={"records": [penguin]}).json()  # doctest: +SKIP
    ['Adelie']
    """
    from prodml_workshop.packaging import load_model
    from prodml_workshop.serving.default_model import model_dir_from_env
    from prodml_workshop.serving.validation import features

    model = load_model(model_dir or model_dir_from_env())
    columns = [name for name, _ in features(model.manifest)]

    async def predict(request: Request) -> Response:
        try:
            records = (await request.json())["records"]
            if isinstance(records, dict):
                records = [records]
            frame = pd.DataFrame(records, columns=columns)
            # None -> NaN, the missing value the pipeline was trained to impute
            labels = model.predict(frame.where(frame.notna(), np.nan)).tolist()
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)
        return JSONResponse(labels)

    async def ready(_: Request) -> Response:
        return Response("ready")

    return Starlette(routes=[Route("/predict", predict, methods=["POST"]), Route("/readyz", ready)])


class BareServer(WatchedServer):
    """A running bare app: its URL and log. Made by :func:`serve_bare`; stop it with :meth:`stop`.

    Attributes
    ----------
    url : str
        E.g. ``"http://127.0.0.1:50124"``.
    port : int
        The port it listens on.
    model_dir : pathlib.Path
        The model package it serves.
    """

    def __init__(self, *, model_dir: Path, host: str, port: int, workers: int) -> None:
        self.model_dir = model_dir
        command = [
            sys.executable, "-m", "uvicorn", f"{__name__}:create_app", "--factory",
            "--host", host, "--port", str(port), "--workers", str(workers),
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        env = {"PRODML_MODEL_DIR": str(model_dir)}
        super().__init__(command, host=host, port=port, env=env, grace=5.0)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"BareServer(url={self.url!r}, model_dir='{self.model_dir}', {state})"

    def __enter__(self) -> BareServer:
        return self


def serve_bare(
    model_dir: str | Path | None = None,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    workers: int = 1,
    timeout: float = 60.0,
) -> BareServer:
    """Start the bare app on uvicorn and wait until it is ready.

    Parameters
    ----------
    model_dir : str or pathlib.Path, default=None
        A model package; the default penguin model when ``None``.
    port : int, default=None
        A free port is chosen when ``None``.
    host : str, default="127.0.0.1"
        The interface to listen on.
    workers : int, default=1
        uvicorn worker processes, each with its own copy of the model.
    timeout : float, default=60.0
        Seconds to wait for ``GET /readyz`` to answer 200.

    Returns
    -------
    BareServer
        Running; also a context manager that stops it on exit.

    Raises
    ------
    ServerStartError
        If the app exits before it is ready or is not ready in time; the message holds its
        log.

    Examples
    --------
    >>> with serve_bare() as bare:  # doctest: +SKIP
    ...     load_test(bare.url, payload={"records": [penguin]})
    """
    if model_dir is None:
        from prodml_workshop.serving import default_model_dir

        model_dir = default_model_dir()
    server = BareServer(
        model_dir=Path(model_dir).expanduser().resolve(),
        host=host,
        port=port or free_port(host),
        workers=workers,
    )
    server.wait_until_ready(timeout)
    return server
