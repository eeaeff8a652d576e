"""Load-test an HTTP endpoint with Locust, run headless in a subprocess, from a notebook.

Locust is an open-source load generator whose simulated users are Python code; the benchmark
examples in BentoML's repository drive their services with it (e.g.
``examples/fraud_detection/benchmark``: ``locust -H http://0.0.0.0:3000 -u 200 -r 10``).
:func:`load_test` raises the load in stages (say 1, 8, then 32 concurrent users) and returns
one row per stage; :func:`plot_load_test` draws throughput and p99 latency by users. Given the
server's process id, it also measures the server's CPU time per request, which depends much
less than the throughput on how much of the machine other programs take.

Locust is run as ``python -m locust -f locustfile.py --headless ...`` (see :mod:`.locustfile`)
and never
imported here: it patches the standard library with gevent on import, which a Jupyter kernel
does not survive. The subprocess runs under the serving session's watchdog
(:mod:`prodml_workshop.serving.watchdog`) in a session of its own, and its whole process group
is stopped when the call returns, raises or is interrupted, so no load generator outlives it
(not even when the kernel is killed).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.serving.watchdog import stop_group

__all__ = ["LoadTestError", "load_test", "penguin_payload", "plot_load_test"]

_LOCUSTFILE = Path(__file__).with_name("locustfile.py")
_STOP_TIMEOUT_S = 10
_LOG_TAIL_CHARS = 4000
_CPU_SAMPLE_S = 0.1


class LoadTestError(RuntimeError):
    """Locust failed to run (not: the server answered errors); the message ends with its log."""


def _command(url: str) -> list[str]:
    from prodml_workshop.serving import watchdog

    return [
        sys.executable, "-I", watchdog.__file__, str(os.getpid()), "5", "--",
        sys.executable, "-m", "locust", "-f", str(_LOCUSTFILE), "--headless", "--host", url,
        "--stop-timeout", str(_STOP_TIMEOUT_S), "--exit-code-on-error", "0", "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip


def _tail(path: Path) -> str:
    text = path.read_text(errors="replace")
    return text if len(text) <= _LOG_TAIL_CHARS else "...\n" + text[-_LOG_TAIL_CHARS:]


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


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its descendants; 0 for a process gone."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return total
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:  # it ended while we looked
            continue
        total += times.user + times.system
    return total


@contextmanager
def _cpu_samples(pid: int | None) -> Iterator[list[tuple[float, float]]]:
    """Sample ``(epoch seconds, CPU seconds)`` of a process tree every 0.1 s, in a thread."""
    samples: list[tuple[float, float]] = []
    if pid is None:
        yield samples
        return
    stop = threading.Event()

    def sample() -> None:
        while True:
            samples.append((time.time(), _cpu_seconds(pid)))
            if stop.wait(_CPU_SAMPLE_S):
                samples.append((time.time(), _cpu_seconds(pid)))
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()


def _windows(results: dict[str, Any], stages: list[int]) -> list[tuple[float, float, float]]:
    """Per stage: when it began, when its users were all running, when it ended."""
    changes, spawned = results["changes"], results["spawned"]
    if [u for _, u in changes] != stages or len(spawned) < len(stages):
        raise ValueError(f"Locust ran the stages {changes} (spawned {spawned}), not {stages}")
    ends = [t for t, _ in changes[1:]] + [results["stopped"]]
    return [(began, ready, end) for (began, _), (ready, _), end in
            zip(changes, spawned, ends, strict=False)]  # fmt: skip


def _summary(
    results: dict[str, Any],
    stages: list[int],
    duration: int,
    warmup: float,
    cpu: list[tuple[float, float]],
) -> pd.DataFrame:
    rows = np.asarray(results["requests"], dtype=float).reshape(-1, 3)
    end, ms, failed = rows[:, 0], rows[:, 1], rows[:, 2].astype(bool)
    cpu_t, cpu_s = np.asarray(cpu, dtype=float).reshape(-1, 2).T
    errors = ", ".join(f"{message} x{count}" for message, count in results["errors"].items())
    summaries = []
    windows = _windows(results, stages)
    for i, (users, (began, ready, stage_end)) in enumerate(zip(stages, windows, strict=True)):
        # every request belongs to a stage: those before the first to the first, after the
        # last to the last
        after = end >= began if i else np.ones(len(end), dtype=bool)
        in_stage = after & ((end < stage_end) | (i == len(stages) - 1))
        measured = (end >= ready + warmup) & (end <= stage_end)
        seconds = stage_end - ready - warmup
        times = ms[measured]
        p50, p95, p99 = np.percentile(times, [50, 95, 99]) if len(times) else (np.nan,) * 3
        server_cpu = np.nan
        if len(cpu_t) > 1 and measured.any():
            spent = np.interp([ready + warmup, stage_end], cpu_t, cpu_s)
            server_cpu = 1e3 * (spent[1] - spent[0]) / measured.sum()
        summaries.append({
            "users": users,
            "duration_s": duration,
            "requests": int(in_stage.sum()),
            "failures": int((failed & in_stage).sum()),
            "rps": measured.sum() / seconds if seconds > 0 else np.nan,
            "mean_ms": times.mean() if len(times) else np.nan,
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "server_cpu_ms": server_cpu,
            "errors": errors,
            "measured_from": ready + warmup,
            "measured_to": stage_end,
        })  # fmt: skip
    return pd.DataFrame(summaries)


def _stages(users: int | Sequence[int]) -> list[int]:
    stages = [users] if isinstance(users, int | np.integer) else list(users)
    if not stages or any(int(u) != u or u < 1 for u in stages):
        raise ValueError(f"users must be whole numbers >= 1, got {users!r}.")
    if any(a == b for a, b in itertools.pairwise(stages)):
        raise ValueError(f"Two stages in a row have the same users, {users!r}: merge them.")
    return [int(u) for u in stages]


def penguin_payload(n_records: int = 1) -> dict[str, Any]:
    """Return a ``/predict`` body of complete penguin records.

    Parameters
    ----------
    n_records : int, default=1
        How many records (the first complete penguins).

    Returns
    -------
    dict
        ``{"records": [{feature: value, ...}, ...]}``.

    Examples
    --------
    >>> penguin_payload()["records"][0]["island"]
    'Torgersen'
    """
    from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
    from prodml_workshop.serving import to_records

    penguins = load_penguins()[PENGUIN_FEATURES].dropna()
    return {"records": to_records(penguins.head(n_records))}


def load_test(
    url: str,
    *,
    users: int | Sequence[int] = 32,
    duration: int = 6,
    payload: Any = None,
    endpoint: str = "/predict",
    spawn_rate: float | None = None,
    warmup: float = 1.0,
    server_pid: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Send concurrent requests to a server for a while; measure throughput and latency.

    ``users`` simulated clients each send the same request again as soon as they have their
    answer (a closed loop with no think time: at most ``users`` requests in flight), for
    ``duration`` seconds. Given several numbers of users, the load rises in stages of
    ``duration`` seconds each, in one Locust run. A response that is not 2xx, or no
    response, is a failure.

    Parameters
    ----------
    url : str
        The server, e.g. ``server.url`` (``"http://127.0.0.1:50123"``).
    users : int or sequence of int, default=32
        Concurrent clients; a sequence such as ``(1, 8, 32)`` runs one stage per number, in
        order (no two equal numbers in a row).
    duration : int, default=6
        Seconds of each stage (whole seconds: Locust changes the load once a second).
    payload : object, default=None
        The JSON body to ``POST``, e.g. ``{"records": [penguin]}``; ``None`` sends ``GET``.
    endpoint : str, default="/predict"
        The path requested.
    spawn_rate : float, default=None
        Clients started per second when a stage adds clients; at once when ``None``.
    warmup : float, default=1.0
        Seconds at the start of each stage, once its clients run, left out of ``rps``, the
        latencies and ``server_cpu_ms`` (connections opening, BentoML's batching dispatcher
        adapting to the new load).
    server_pid : int, default=None
        The server's process id (e.g. ``server.pid``): its CPU time and its descendants' is
        sampled every 0.1 s, for ``server_cpu_ms``.
    progress : bool, default=True
        Show a progress bar (``tqdm.auto``: a widget in Jupyter) while the test runs.

    Returns
    -------
    pandas.DataFrame
        One row per stage: ``users``, ``duration_s``; ``requests`` and ``failures`` over the
        whole stage; ``rps`` (successful or not, per second), ``mean_ms`` (the mean response
        time) and ``p50_ms``, ``p95_ms``, ``p99_ms`` (response-time percentiles) over the
        requests that finished after its warm-up; ``server_cpu_ms``, the server's CPU
        milliseconds per request over the same span (NaN without ``server_pid``); ``errors``,
        the failure messages of the whole run and their counts; ``measured_from`` and
        ``measured_to``, that span in epoch seconds (to match server-side records).
        Concatenate several runs with :func:`pandas.concat`.

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
    ...     stats = load_test(server.url, users=(1, 8, 32), duration=2,
    ...                       payload={"records": [penguin]})
    >>> stats[["users", "rps", "p50_ms", "p99_ms", "failures"]]  # doctest: +SKIP
       users    rps  p50_ms  p99_ms  failures
    0      1  141.0     6.9    12.0         0
    1      8  382.5    19.6    40.2         0
    2     32  584.9    47.1   257.7         0
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, e.g. server.url; got {url!r}.")
    stages = _stages(users)
    if duration < 1 or int(duration) != duration:
        raise ValueError(f"duration must be whole seconds >= 1, got {duration=}.")
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
            "PRODML_LOAD_STAGES": ",".join(f"{u}:{duration}" for u in stages),
            "PRODML_LOAD_SPAWN_RATE": f"{spawn_rate or 1000:g}",
        }
        if payload is not None:
            (work / "body.json").write_text(json.dumps(payload))
            env["PRODML_LOAD_BODY"] = str(work / "body.json")
        label = f"{'/'.join(map(str, stages))} users -> {endpoint}"
        with (work / "locust.log").open("wb") as log, _cpu_samples(server_pid) as cpu:
            process = subprocess.Popen(
                _command(url),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=work,
                start_new_session=True,
            )
            try:
                _wait(process, duration * len(stages), label, progress)
            except TimeoutError:
                raise LoadTestError(
                    f"Locust did not stop within {_STOP_TIMEOUT_S + 30} s after its run time; "
                    f"its log:\n{_tail(work / 'locust.log')}"
                ) from None
            finally:
                stop_group(process)
        results_file = work / "results.json"
        if process.returncode != 0 or not results_file.is_file():
            raise LoadTestError(
                f"Locust exited with code {process.returncode} without results; its log:\n"
                f"{_tail(work / 'locust.log')}"
            )
        try:
            return _summary(json.loads(results_file.read_text()), stages, duration, warmup, cpu)
        except ValueError as error:
            raise LoadTestError(f"{error}; its log:\n{_tail(work / 'locust.log')}") from None


def plot_load_test(stats: pd.DataFrame, *, label: str | None = None, axes: Any = None) -> Any:
    """Draw throughput and p99 latency against concurrent users, side by side.

    Call it again with the ``axes`` it returned to draw another run on the same plots.

    Parameters
    ----------
    stats : pandas.DataFrame
        What :func:`load_test` returned, one row per number of users.
    label : str, default=None
        The legend of this run.
    axes : sequence of two matplotlib.axes.Axes, default=None
        Where to draw; a new figure when ``None``.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The throughput plot and the latency plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> stats = pd.DataFrame({"users": [1, 8, 32], "rps": [140.0, 380.0, 585.0],
    ...                       "p99_ms": [12.0, 40.0, 258.0]})
    >>> axes = plot_load_test(stats, label="batching on")
    >>> [ax.get_ylabel() for ax in axes]
    ['requests per second', 'p99 latency (ms)']
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
    for ax, column, ylabel in zip(
        axes, ("rps", "p99_ms"), ("requests per second", "p99 latency (ms)"), strict=True
    ):
        ax.plot(stats["users"], stats[column], marker="o", label=label)
        ax.set(xscale="log", xlabel="concurrent users", ylabel=ylabel, ylim=(0, None))
        ax.set_xticks(stats["users"], [str(u) for u in stats["users"]])
        ax.minorticks_off()
        ax.grid(True, alpha=0.3)
        if label is not None:
            ax.legend()
    return np.asarray(axes)
