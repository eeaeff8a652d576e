"""The Locust user that :func:`~prodml_workshop.scaling.load_test` runs; never import it.

Locust patches the standard library with gevent when it is imported, which would break a
Jupyter kernel, so this file is only ever loaded by the ``locust`` subprocess::

    python -m locust -f locustfile.py --headless --users 32 --run-time 6s --host URL

Every simulated user sends requests back to back, with no think time, through Locust's
``FastHttpUser`` (geventhttpclient: a fraction of the CPU of ``requests``, so that the load
generator is not what limits the measurement). A response that is not 2xx is a failure,
redirects included. The request and where to write the results come from the environment:

``PRODML_LOAD_ENDPOINT``
    The path requested, e.g. ``/predict``.
``PRODML_LOAD_BODY``
    A file holding the JSON body to ``POST``; unset or empty: ``GET`` without a body.
``PRODML_LOAD_RESULTS``
    Where to write, when Locust quits, a JSON object: ``t0`` (when the test started, epoch
    seconds), ``requests`` (one ``[end_time, response_time_ms, failed]`` per request) and
    ``errors`` (``{message: count}``).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task

__all__ = ["Client"]

_ENDPOINT = os.environ.get("PRODML_LOAD_ENDPOINT", "/")
_BODY_FILE = os.environ.get("PRODML_LOAD_BODY", "")
_BODY = Path(_BODY_FILE).read_bytes() if _BODY_FILE else None
_HEADERS = {"Content-Type": "application/json"} if _BODY is not None else {}
_RESULTS: list[tuple[float, float, bool]] = []
_ERRORS: Counter[str] = Counter()
_STARTED: list[float] = []


@events.test_start.add_listener
def _started(**_: Any) -> None:
    _STARTED.append(time.time())


@events.request.add_listener
def _record(response_time: float, exception: BaseException | None, **_: Any) -> None:
    _RESULTS.append((time.time(), response_time, exception is not None))
    if exception is not None:
        _ERRORS[str(exception)[:200]] += 1


@events.quitting.add_listener
def _write_results(**_: Any) -> None:
    out = os.environ.get("PRODML_LOAD_RESULTS")
    if out:
        t0 = _STARTED[0] if _STARTED else time.time()
        Path(out).write_text(json.dumps({"t0": t0, "requests": _RESULTS, "errors": _ERRORS}))


class Client(FastHttpUser):
    """A client that sends the configured request again as soon as it has its answer."""

    wait_time = constant(0)

    @task
    def send(self) -> None:
        """Send one request; a status outside 200-299 is a failure."""
        method = "POST" if _BODY is not None else "GET"
        with self.client.request(
            method,
            _ENDPOINT,
            data=_BODY,
            headers=_HEADERS,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # status 0/None: no response at all; Locust reports the connection error itself
            if response.status_code and not 200 <= response.status_code < 300:
                response.failure(f"HTTP {response.status_code}")
