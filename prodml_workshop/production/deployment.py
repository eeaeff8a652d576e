"""Deployment: serve a model package in place of the one served before, one server at a time.

A package is deployed only after its technical-drift check passes
(:func:`~prodml_workshop.monitoring.technical_drift`); the server :func:`deploy` started is
kept here, so that deploying again, or running a notebook's cells again, stops it first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prodml_workshop.monitoring import technical_drift
from prodml_workshop.serving import ModelServer, serve

__all__ = ["DeploymentError", "current_server", "deploy", "undeploy"]

_current: ModelServer | None = None


class DeploymentError(RuntimeError):
    """A package was refused before it was served; the message says which check failed."""


def current_server() -> ModelServer | None:
    """Return the server started by :func:`deploy` that is still running, if any."""
    return _current if _current is not None and _current.running else None


def undeploy() -> None:
    """Stop the server started by :func:`deploy`, if any; safe to call more than once."""
    global _current
    if _current is not None:
        _current.stop()
        _current = None


def deploy(
    package: str | Path,
    *,
    log_db: str | Path,
    check: bool = True,
    **serve_options: Any,
) -> ModelServer:
    """Serve a model package in place of the one deployed before: one server at a time.

    The package first passes its technical-drift check (library versions, and the stored
    reference sample re-scored, see :func:`~prodml_workshop.monitoring.technical_drift`).
    Then the running server, if any, is stopped and a new one is started on the package,
    writing to the same prediction log. Stopping first keeps the memory of one server (a few
    seconds without service); with memory to spare, start the new one first, then switch.
    Running a notebook's cells again is safe: whatever :func:`deploy` started before is
    stopped first.

    Parameters
    ----------
    package : str or pathlib.Path
        The model package to serve.
    log_db : str or pathlib.Path
        The prediction log, shared by every version deployed.
    check : bool, default=True
        Run the technical-drift check first.
    **serve_options
        Passed to :func:`~prodml_workshop.serving.serve` (``workers``, ``timeout``...).

    Returns
    -------
    ModelServer
        The running server; :func:`undeploy` (or its ``stop()``) stops it.

    Raises
    ------
    DeploymentError
        If the package fails its technical-drift check; the running server is left alone.
    ServerStartError
        If the new server does not start (the old one is already stopped).

    Examples
    --------
    >>> server = deploy("models/weather-v2", log_db="log.sqlite")  # doctest: +SKIP
    >>> requests.get(f"{server.url}/metadata").json()["metadata"]["name"]  # doctest: +SKIP
    'weather-v2'
    """
    global _current
    if check:
        report = technical_drift(package)
        if not report.ok:
            raise DeploymentError(
                f"{package} was not deployed: it failed its technical-drift check. Rebuild it "
                f"in this environment (or fix the environment) and deploy again.\n{report}"
            )
    undeploy()
    _current = serve(package, log_db=log_db, **serve_options)
    return _current
