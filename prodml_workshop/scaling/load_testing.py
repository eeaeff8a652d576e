"""Load-test an HTTP endpoint with Locust, run headless in a subprocess, from a notebook.

Locust is the load generator BentoML's own guide uses. It is run as
``python -m locust -f locustfile.py --headless ...`` (see :mod:`.locustfile`) and never
imported here: it patches the standard library with gevent on import, which a Jupyter kernel
does not survive. The subprocess runs under the serving session's watchdog
(:mod:`prodml_workshop.serving.watchdog`) in a session of its own, and its whole process group
is stopped when the call returns, raises or is interrupted, so no load generator outlives it
(not even when the kernel is killed).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LoadTestError", "load_test"]

_LOCUSTFILE = Path(__file__).with_name("locustfile.py")
_STOP_TIMEOUT_S = 10
_LOG_TAIL_CHARS = 4000


class LoadTestError(RuntimeError):
    """Locust failed to run (not: the server answered errors); the message ends with its log."""


def _command(url: str, users: int, spawn_rate: float, duration: int) -> list[str]:
    from prodml_workshop.serving import watchdog

    return [
        sys.executable, "-I", watchdog.__file__, str(os.getpid()), "5", "--",
        sys.executable, "-m", "locust", "-f", str(_LOCUSTFILE), "--headless",
        "--host", url, "--users", str(users), "--spawn-rate", f"{spawn_rate:g}",
        "--run-time", f"{duration}s", "--stop-timeout", str(_STOP_TIMEOUT_S),
        "--exit-code-on-error", "0", "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip


def _tail(path: Path) -> str:
    text = path.read_text(errors="replace")
    return text if len(text) <= _LOG_TAIL_CHARS else "...\n" + text[-_LOG_TAIL_CHARS:]


def _stop_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    for signum, wait_s in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait(process: subprocess.Popen, duration: int, label: str, progress: bool) -> None:
    from tqdm.auto import tqdm

    start = time.monotonic()
    deadline = start + duration + _STOP_TIMEOUT_S + 30
    with tqdm(total=duration, desc=label, unit="s", disable=not progress, leave=False) as bar:
        while process.poll() is None:
            if time.monotonic() > deadline:
                raise TimeoutError
            bar.n = min(duration, round(time.monotonic() - start, 1))
            bar.refresh()
            time.sleep(0.2)


def _summary(results: dict[str, Any], users: int, duration: int, warmup: float) -> pd.DataFrame:
    rows = np.asarray(results["requests"], dtype=float).reshape(-1, 3)
    end, ms, failed = rows[:, 0], rows[:, 1], rows[:, 2].astype(bool)
    t0 = results["t0"]
    measured = (end >= t0 + warmup) & (end <= t0 + duration)
    times = ms[measured]
    p50, p95, p99 = np.percentile(times, [50, 95, 99]) if len(times) else (np.nan,) * 3
    errors = ", ".join(f"{message} x{count}" for message, count in results["errors"].items())
    summary = {
        "users": users,
        "duration_s": duration,
        "requests": len(rows),
        "failures": int(failed.sum()),
        "rps": measured.sum() / (duration - warmup),
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "errors": errors,
    }
    return pd.DataFrame([summary])


def load_test(
    url: str,
    *,
    users: int = 32,
    duration: int = 6,
    payload: Any = None,
    endpoint: str = "/predict",
    spawn_rate: float | None = None,
    warmup: float = 1.0,
    progress: bool = True,
) -> pd.DataFrame:
    """Send concurrent requests to a server for a while; measure throughput and latency.

    ``users`` simulated clients each send the same request again as soon as they have their
    answer (a closed loop with no think time: at most ``users`` requests in flight), for
    ``duration`` seconds. A response that is not 2xx, or no response, is a failure.

    Parameters
    ----------
    url : str
        The server, e.g. ``server.url`` (``"http://127.0.0.1:50123"``).
    users : int, default=32
        Concurrent clients.
    duration : int, default=6
        Seconds of load (whole seconds, as Locust's ``--run-time`` takes them).
    payload : object, default=None
        The JSON body to ``POST``, e.g. ``{"records": [penguin]}``; ``None`` sends ``GET``.
    endpoint : str, default="/predict"
        The path requested.
    spawn_rate : float, default=None
        Clients started per second; all at once (``users`` per second) when ``None``.
    warmup : float, default=1.0
        Seconds at the start left out of ``rps`` and the latencies (clients starting,
        connections opening, BentoML's batching dispatcher learning its latency).
    progress : bool, default=True
        Show a progress bar (``tqdm.auto``: a widget in Jupyter) while the test runs.

    Returns
    -------
    pandas.DataFrame
        One row: ``users``, ``duration_s``; ``requests`` and ``failures`` over the whole
        run; ``rps`` (successful or not, per second) and ``p50_ms``, ``p95_ms``, ``p99_ms``
        (response-time percentiles) over the requests that finished between ``warmup`` and
        ``duration`` seconds; ``errors``, the failure messages and their counts. Concatenate
        the rows of several runs with :func:`pandas.concat`.

    Raises
    ------
    ValueError
        If ``url`` is not an http(s) URL, or ``users``, ``duration`` or ``warmup`` make no
        sense.
    LoadTestError
        If Locust itself fails or does not stop in time; the message holds its log.
    KeyboardInterrupt
        When the kernel is interrupted; Locust is stopped first.

    Examples
    --------
    >>> with serve() as server:  # doctest: +SKIP
    ...     stats = load_test(server.url, users=32, duration=6,
    ...                       payload={"records": [penguin]})
    >>> stats[["rps", "p50_ms", "p95_ms", "p99_ms", "failures"]]  # doctest: +SKIP
         rps  p50_ms  p95_ms  p99_ms  failures
    0  584.9    47.1    52.0   257.7         0
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, e.g. server.url; got {url!r}.")
    if users < 1 or duration < 1 or int(duration) != duration:
        raise ValueError(f"users must be >= 1 and duration whole seconds >= 1, got {users=}, "
                         f"{duration=}.")  # fmt: skip
    if not 0 <= warmup < duration:
        raise ValueError(f"warmup must be in [0, duration), got {warmup=} with {duration=}.")
    duration = int(duration)
    with tempfile.TemporaryDirectory(prefix="prodml-load-") as folder:
        work = Path(folder)
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PRODML_LOAD_ENDPOINT": endpoint,
            "PRODML_LOAD_BODY": "",
            "PRODML_LOAD_RESULTS": str(work / "results.json"),
        }
        if payload is not None:
            (work / "body.json").write_text(json.dumps(payload))
            env["PRODML_LOAD_BODY"] = str(work / "body.json")
        command = _command(url, users, spawn_rate or users, duration)
        with (work / "locust.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=work,
                start_new_session=True,
            )
        try:
            _wait(process, duration, f"{users} users -> {endpoint}", progress)
        except TimeoutError:
            raise LoadTestError(
                f"Locust did not stop within {_STOP_TIMEOUT_S + 30} s after its run time; "
                f"its log:\n{_tail(work / 'locust.log')}"
            ) from None
        finally:
            _stop_group(process)
        results_file = work / "results.json"
        if process.returncode != 0 or not results_file.is_file():
            raise LoadTestError(
                f"Locust exited with code {process.returncode} without results; its log:\n"
                f"{_tail(work / 'locust.log')}"
            )
        return _summary(json.loads(results_file.read_text()), users, duration, warmup)
