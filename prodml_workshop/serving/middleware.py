"""The checks a request passes before BentoML parses it: content type, size and an id.

BentoML parses any ``POST`` body as JSON whatever its ``Content-Type`` says, and reads a body of
any size. :class:`RequestGuard` answers ``415`` to a ``POST`` that is not
``application/json`` and ``413`` to one whose ``Content-Length`` is over the limit, before the
body is read (statuses and messages from :mod:`.refusals`). It also gives every request an id:
the client's ``X-Request-ID`` header when it is a short token, else a new UUID. The id is
returned in the ``X-Request-ID`` response header and written in the prediction log, so a client
can find its predictions there. A request the model refused is answered ``422`` with
``{"error": ...}``, as every other error.

Every response also names, in ``X-Model-Version``, the model version that answered it: the
canary's for a prediction (200) or refusal (422) of a request routed to the canary (see
:mod:`.rollout`), else the served model's (also for the errors of requests that never
reached a model: 400, 413, 415). The header is set here, not with BentoML's documented
``ctx.response.headers`` of an API taking a ``bentoml.Context``: that context is per request,
but the function of a batchable API runs once for a batch of several requests, and an error
answer skips it (BentoML 1.4.40 copies ``ctx.response`` headers into successful answers only).
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from typing import Any

from .refusals import BY_MODEL, Refusal, refuse
from .rollout import MODEL_VERSION_HEADER, VersionRouter
from .validation import REQUEST_ID

__all__ = ["MAX_BODY_BYTES", "RequestGuard"]

#: The largest request body accepted, in bytes (1000 records need about 150 kB).
MAX_BODY_BYTES = 4 * 2**20

_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_REFUSED = BY_MODEL - {200}
_VERSION_HEADER = MODEL_VERSION_HEADER.lower().encode()


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class RequestGuard:
    """ASGI middleware: refuse non-JSON and oversized ``POST`` bodies; tag each request.

    Also answers a 422 error as one ``{"error": ...}`` object (see :class:`_ErrorObject`).

    Parameters
    ----------
    app : ASGI application
        The application to protect.
    max_body_bytes : int, default=MAX_BODY_BYTES
        Larger ``POST`` bodies are refused with 413.
    router : VersionRouter, default=None
        Which model version answers a request id; without it, no ``X-Model-Version``.

    Examples
    --------
    >>> ModelService.add_asgi_middleware(
    ...     RequestGuard, router=VersionRouter("skops-3f2a9c1b7d04"))  # doctest: +SKIP
    """

    def __init__(
        self, app: Any, max_body_bytes: int = MAX_BODY_BYTES, router: VersionRouter | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.router = router

    def _version(self, request_id: str, status: int) -> list[tuple[bytes, bytes]]:
        if self.router is None:
            return []
        routed = status in BY_MODEL  # what a model answered; other errors came before it
        version = self.router.version(request_id) if routed else self.router.served
        return [(_VERSION_HEADER, version.encode())]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = _header(scope, b"x-request-id")
        request_id = supplied if _TOKEN.fullmatch(supplied) else uuid.uuid4().hex
        if scope["method"] == "POST":
            problem = self._problem(scope)
            if problem is not None:
                version = self._version(request_id, problem.status)
                await _reply(send, problem, version, request_id)
                return
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *self._version(request_id, message["status"]),
                ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, _ErrorObject(send_with_id))
        finally:
            REQUEST_ID.reset(token)

    def _problem(self, scope: dict[str, Any]) -> Refusal | None:
        content_type = _header(scope, b"content-type").split(";")[0].strip().lower()
        if content_type != "application/json":
            return refuse("not_json", content_type=content_type or "no Content-Type")
        length = _header(scope, b"content-length")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return refuse("too_large", size=int(length), limit=self.max_body_bytes)
        return None


class _ErrorObject:
    """An ASGI ``send`` that answers a model's refusal as ``{"error": ...}``, like every error.

    BentoML 1.4 answers an exception of status 4xx raised in an API (here
    :class:`~.responses.RefusedRequest`, 422) with ``[{"error": ...}]``: its handler wraps the
    object in a one-item tuple (``api_endpoint_wrapper`` of its server app, 1.4.40 included).
    The body of a refusal by the model (:data:`~.refusals.BY_MODEL`) is held and sent as the
    object; any other answer goes through as it is.
    """

    def __init__(self, send: Any) -> None:
        self.send = send
        self.start: dict[str, Any] | None = None
        self.body = b""

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] in _REFUSED:
            self.start = message
            return
        if self.start is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        self.body += message.get("body", b"")
        if message.get("more_body", False):
            return
        body = self.body
        with contextlib.suppress(ValueError):
            error = json.loads(body)
            if isinstance(error, list) and len(error) == 1 and isinstance(error[0], dict):
                body = json.dumps(error[0]).encode()
        headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


async def _reply(
    send: Any, refusal: Refusal, extra: list[tuple[bytes, bytes]], request_id: str
) -> None:
    body = json.dumps({"error": refusal.message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
