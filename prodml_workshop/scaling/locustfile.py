"""The Locust user that :func:`~prodml_workshop.scaling.load_test` runs; never import it.

Locust patches the standard library with gevent when it is imported, which would break a
Jupyter kernel, so this file is only ever loaded by the ``locust`` subprocess::

    PRODML_LOAD_STAGES=1:2,8:2,32:3 python -m locust -f locustfile.py --headless --host URL

Every simulated user sends requests back to back, with no think time, through Locust's
``FastHttpUser`` (geventhttpclient: a fraction of the CPU of ``requests``, so that the load
generator is not what limits the measurement). A response that is not 2xx is a failure,
redirects included. The request and where to write the results come from the environment:

``PRODML_LOAD_ENDPOINT``
    The path requested, e.g. ``/predict``.
``PRODML_LOAD_BODY``
    A file holding the JSON body to ``POST``; unset or empty: ``GET`` without a body.
``PRODML_LOAD_STAGES``
    The load, as stages ``users:seconds`` separated by commas, run in order by a
    ``LoadTestShape`` (:class:`Stages`); Locust stops after the last.
``PRODML_LOAD_SPAWN_RATE``
    Users started per second when a stage adds users (default 1000: at once).
``PRODML_LOAD_RESULTS``
    Where to write, when Locust quits, a JSON object: ``t0`` (when the test started, epoch
    seconds), ``changes`` (``[time, users]`` when each stage began), ``spawned`` (``[time,
    users]`` when its users were all running), ``stopped`` (when the last stage ended),
    ``requests`` (one ``[end_time, response_time_ms, failed]`` per request) and ``errors``
    (``{message: count}``).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from locust import FastHttpUser, LoadTestShape, constant, events, task

__all__ = ["Client", "Stages"]

_ENDPOINT = os.environ.get("PRODML_LOAD_ENDPOINT", "/")
_BODY_FILE = os.environ.get("PRODML_LOAD_BODY", "")
_BODY = Path(_BODY_FILE).read_bytes() if _BODY_FILE else None
_HEADERS = {"Content-Type": "application/json"} if _BODY is not None else {}
_RESULTS: list[tuple[float, float, bool]] = []
_ERRORS: Counter[str] = Counter()
_STARTED: list[float] = []
_STAGES = [
    (int(users), int(seconds))
    for users, seconds in (
        stage.split(":") for stage in os.environ.get("PRODML_LOAD_STAGES", "1:1").split(",")
    )
]
_SPAWN_RATE = float(os.environ.get("PRODML_LOAD_SPAWN_RATE", "1000"))
_CHANGES: list[tuple[float, int]] = []
_SPAWNED: list[tuple[float, int]] = []
_STOPPED: list[float] = []


@events.test_start.add_listener
def _started(**_: Any) -> None:
    _STARTED.append(time.time())


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_: Any) -> None:
    _SPAWNED.append((time.time(), user_count))


@events.test_stopping.add_listener
def _stopping(**_: Any) -> None:
    _STOPPED.append(time.time())


@events.request.add_listener
def _record(response_time: float, exception: BaseException | None, **_: Any) -> None:
    _RESULTS.append((time.time(), response_time, exception is not None))
    if exception is not None:
        _ERRORS[str(exception)[:200]] += 1


@events.quitting.add_listener
def _write_results(**_: Any) -> None:
    out = os.environ.get("PRODML_LOAD_RESULTS")
    if out:
        now = time.time()
        results = {
            "t0": _STARTED[0] if _STARTED else now,
            "changes": _CHANGES,
            "spawned": _SPAWNED,
            "stopped": _STOPPED[0] if _STOPPED else now,
            "requests": _RESULTS,
            "errors": _ERRORS,
        }
        Path(out).write_text(json.dumps(results))


class Stages(LoadTestShape):
    """Run the stages of ``PRODML_LOAD_STAGES`` in turn, then stop (Locust ticks every second)."""

    def tick(self) -> tuple[int, float] | None:
        """Return the users of the stage under way and the spawn rate; ``None`` after the last."""
        elapsed, end = self.get_run_time(), 0
        for users, seconds in _STAGES:
            end += seconds
            if elapsed < end:
                if not _CHANGES or _CHANGES[-1][1] != users:
                    _CHANGES.append((time.time(), users))
                return users, _SPAWN_RATE
        return None


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
