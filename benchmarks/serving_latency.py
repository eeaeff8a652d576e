"""Single-request latency of ``POST /predict`` with one record, sequential, on this machine.

Starts the model service with :func:`prodml_workshop.serving.serve` (the default penguin
model, one worker, the prediction log in a temporary folder), sends warm-up requests, then
``--requests`` sequential requests of one penguin each over one keep-alive connection, and
prints the p50, p99 and mean round-trip time, next to the in-process ``predict`` time of the
same record for comparison.

Usage::

    .venv/bin/python benchmarks/serving_latency.py --requests 500
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import load_model
from prodml_workshop.serving import read_log, serve, to_records

__all__ = ["measure"]


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
    }


def measure(n_requests: int = 500, warmup: int = 50) -> dict[str, dict[str, float]]:
    """Measure sequential one-record latency over HTTP and in process.

    Parameters
    ----------
    n_requests : int, default=500
        Timed requests.
    warmup : int, default=50
        Untimed requests sent first (BentoML's batching dispatcher trains on its first ones).

    Returns
    -------
    dict
        ``{"http": {...}, "in_process": {...}}``, each with ``p50_ms``, ``p99_ms``,
        ``mean_ms``.

    Examples
    --------
    >>> measure(100)["http"]["p50_ms"]  # doctest: +SKIP
    5.1
    """
    penguins = load_penguins()[PENGUIN_FEATURES]
    records = to_records(penguins)
    with tempfile.TemporaryDirectory() as tmp:
        log_db = Path(tmp) / "log.sqlite"
        with serve(log_db=log_db) as server, requests.Session() as session:
            url = f"{server.url}/predict"
            http = []
            for i in range(warmup + n_requests):
                body = {"records": [records[i % len(records)]]}
                start = time.perf_counter()
                response = session.post(url, json=body, timeout=30)
                elapsed = time.perf_counter() - start
                response.raise_for_status()
                if i >= warmup:
                    http.append(elapsed)
            model = load_model(server.model_dir)
        assert len(read_log(log_db)) == warmup + n_requests
    in_process = []
    for i in range(n_requests):
        row = penguins.iloc[[i % len(penguins)]]
        start = time.perf_counter()
        model.predict(row)
        in_process.append(time.perf_counter() - start)
    return {"http": _percentiles(http), "in_process": _percentiles(in_process)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    results = measure(args.requests)
    for name, stats in results.items():
        print(f"{name:>10}: " + ", ".join(f"{k} {v:.2f}" for k, v in stats.items()))
