"""Deployment: serve a model package in place of the one served before, one server at a time.

A package is deployed only after its technical-drift check passes
(:func:`~prodml_workshop.monitoring.technical_drift`); the server :func:`deploy` started is
kept here, so that deploying again, or running a notebook's cells again, stops it first. The
new server listens on the same port as the one it replaces: the service's URL does not change.
Given a :class:`~.registry.Registry`, :func:`deploy` records the deployment in it (promoted,
shadow or canary), and :func:`rollback` serves the version in production before the current
one, in one call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prodml_workshop.monitoring import technical_drift
from prodml_workshop.serving import ModelServer, serve
from prodml_workshop.serving.rollout import rollout_env

from .registry import Registry

__all__ = ["DeploymentError", "current_server", "deploy", "rollback", "undeploy"]

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


def _check(package: str | Path) -> None:
    report = technical_drift(package)
    if not report.ok:
        raise DeploymentError(
            f"{package} was not deployed: it failed its technical-drift check. Rebuild it "
            f"in this environment (or fix the environment) and deploy again.\n{report}"
        )


def deploy(
    package: str | Path,
    *,
    log_db: str | Path,
    check: bool = True,
    registry: Registry | None = None,
    reason: str = "",
    shadow: str | Path | None = None,
    canary: str | Path | None = None,
    canary_share: float | None = None,
    **serve_options: Any,
) -> ModelServer:
    """Serve a model package in place of the one deployed before: one server at a time.

    The package (and the second one, in shadow or canary) first passes its technical-drift
    check (library versions, and the stored reference sample re-scored, see
    :func:`~prodml_workshop.monitoring.technical_drift`). Then the running server, if any, is
    stopped and a new one is started on the package, on the same port, writing to the same
    prediction log. Stopping first keeps the memory of one server (a second or two without
    service); with memory to spare, start the new one first, then switch. Running a
    notebook's cells again is safe: whatever :func:`deploy` started before is stopped first.

    Parameters
    ----------
    package : str or pathlib.Path
        The model package to serve: the version clients get.
    log_db : str or pathlib.Path
        The prediction log, shared by every version deployed.
    check : bool, default=True
        Run the technical-drift check first.
    registry : Registry, default=None
        Record the deployment in it: ``promoted`` (the package alone), ``shadow`` or
        ``canary``.
    reason : str, default=""
        Why, recorded in the registry (e.g. the promotion gate's decision).
    shadow : str or pathlib.Path, default=None
        A second package that scores every request too, logged with role ``shadow``; the
        client gets only ``package``'s answer.
    canary : str or pathlib.Path, default=None
        A second package that answers ``canary_share`` of the requests, chosen by a hash of
        the request id.
    canary_share : float, default=None
        The canary's share of requests, 0 to 1 (required with ``canary``).
    **serve_options
        Passed to :func:`~prodml_workshop.serving.serve` (``workers``, ``timeout``...).

    Returns
    -------
    ModelServer
        The running server; :func:`undeploy` (or its ``stop()``) stops it.

    Raises
    ------
    DeploymentError
        If a package fails its technical-drift check; the running server is left alone.
    RolloutConfigError
        If ``shadow``, ``canary`` and ``canary_share`` do not go together (both a shadow
        and a canary, a canary without its share...); the running server is left alone.
    ServerStartError
        If the new server does not start (the old one is already stopped).

    Examples
    --------
    >>> server = deploy("models/v2/weather", log_db="log.sqlite")  # doctest: +SKIP
    >>> requests.get(f"{server.url}/metadata").json()["metadata"]["name"]  # doctest: +SKIP
    'weather-v2'
    """
    global _current
    rollout_env(serve_options.get("quality", "log"), shadow, canary, canary_share)  # checks
    second = shadow if shadow is not None else canary
    if check:
        for each in (package, second):
            if each is not None:
                _check(each)
    running = current_server()
    if running is not None and "port" not in serve_options:
        serve_options["port"] = running.port  # the service keeps its URL
    undeploy()
    _current = serve(
        package,
        log_db=log_db,
        shadow=shadow,
        canary=canary,
        canary_share=canary_share,
        **serve_options,
    )
    if registry is not None:
        event = "promoted" if second is None else ("shadow" if shadow is not None else "canary")
        share = canary_share if canary is not None else None
        registry.record(event, package, candidate=second, share=share, reason=reason)
    return _current


def rollback(registry: Registry, *, log_db: str | Path, **serve_options: Any) -> ModelServer:
    """Serve again the version that was in production before the current one, in one call.

    The previous version is the registry's (:meth:`~.registry.Registry.rollback_target`); its
    package is served with :func:`deploy` (its technical-drift check first, the same port),
    and the rollback is recorded.

    Parameters
    ----------
    registry : Registry
        The model's registry.
    log_db : str or pathlib.Path
        The prediction log.
    **serve_options
        Passed to :func:`deploy`.

    Returns
    -------
    ModelServer
        The server of the previous version.

    Raises
    ------
    RegistryError
        If there is no previous version, or its package folder no longer holds it.

    Examples
    --------
    >>> server = rollback(registry, log_db="log.sqlite")  # doctest: +SKIP
    """
    target = registry.rollback_target()
    server = deploy(registry.package(target), log_db=log_db, **serve_options)
    registry.rollback()
    return server
