"""``GET /metadata``: the manifest of the model being served, as JSON.

BentoML APIs answer ``POST`` only, so this read-only endpoint is a small Starlette app that
the service mounts next to its APIs.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["metadata_app"]


def metadata_app(manifest: dict[str, Any]) -> Starlette:
    """Return an ASGI app answering ``GET /metadata`` with the manifest.

    Parameters
    ----------
    manifest : dict
        The served package's manifest: format, library versions, input schema, classes,
        checksums.

    Returns
    -------
    starlette.applications.Starlette
        Mount it at ``/`` with ``bentoml.asgi_app``.

    Examples
    --------
    >>> from starlette.testclient import TestClient  # doctest: +SKIP
    >>> TestClient(metadata_app({"format": "skops"})).get("/metadata").json()  # doctest: +SKIP
    {'format': 'skops'}
    """

    async def metadata(_: Request) -> JSONResponse:
        return JSONResponse(manifest)

    return Starlette(routes=[Route("/metadata", metadata, methods=["GET"])])
