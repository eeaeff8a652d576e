"""Throughput of the model service: adaptive batching on/off, 1 or 2 workers, and the bare app.

Runs :func:`prodml_workshop.props.scaling.compare_servers` on the default penguin model (the
scikit-learn pipeline, skops package), each configuration under the same Locust load
(``--users`` concurrent clients sending one record per request, for ``--duration`` seconds),
``--repeats`` times (interleaved, with the load average before each run), and prints every
run, the median and the best run per configuration, and the targets:

* adaptive batching gives at least 2x the requests/s of the unbatched service (1 worker);
* the service reaches at least half the requests/s of the bare Starlette app;
* no request failed.

Usage::

    .venv/bin/python benchmarks/scaling_servers.py --users 32 --duration 8 --repeats 2
"""

from __future__ import annotations

import argparse
import os

import pandas as pd

from prodml_workshop.props.scaling import compare_servers

__all__ = ["measure"]


_CONFIGS = [  # (workers, batching, bare app?)
    (1, (), True), (1, (True,), False), (1, (False,), False),
    (2, (), True), (2, (True,), False), (2, (False,), False),
]  # fmt: skip


def measure(users: int = 32, duration: int = 8, repeats: int = 1) -> pd.DataFrame:
    """Run every configuration ``repeats`` times, interleaved; return every run.

    Each configuration is one :func:`~prodml_workshop.props.scaling.compare_servers` call, so that
    the 1-minute load average of the machine is recorded before each run.

    Parameters
    ----------
    users : int, default=32
        Concurrent clients.
    duration : int, default=8
        Seconds per load test.
    repeats : int, default=1
        Passes over the configurations.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`~prodml_workshop.props.scaling.compare_servers`, with ``repeat`` and
        ``load_1min``.
    """
    runs = []
    for i in range(repeats):
        for workers, batching, bare in _CONFIGS:
            load = os.getloadavg()[0]
            row = compare_servers(users=users, duration=duration, workers=(workers,),
                                  batching=batching, bare=bare, progress=False)  # fmt: skip
            runs.append(row.assign(repeat=i, load_1min=load))
    return pd.concat(runs, ignore_index=True)


def _summary(runs: pd.DataFrame, how: str) -> pd.DataFrame:
    keys = runs[["server", "workers"]].assign(batching=runs["batching"].astype(str))
    columns = ["rps", "p50_ms", "p95_ms", "p99_ms", "failures"]
    grouped = runs[columns].groupby([keys[k] for k in keys.columns], sort=False)
    if how == "median":
        return grouped.median()
    return runs.loc[grouped["rps"].idxmax(), columns].set_index(grouped["rps"].max().index)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    print(f"load average before: {os.getloadavg()}")
    runs = measure(args.users, args.duration, args.repeats)
    print(runs.drop(columns="errors").to_string(index=False, float_format="{:.1f}".format))
    for how in ("median", "best"):
        table = _summary(runs, how)
        print(f"\n{how} of the repeats:")
        print(table.to_string(float_format="{:.1f}".format))
        rps = table["rps"]
        for workers in sorted(runs["workers"].unique()):
            on = rps["BentoML service", workers, "True"]
            off = rps["BentoML service", workers, "False"]
            bare = rps["bare Starlette", workers, "None"]
            print(f"{workers} worker(s): batching on/off = {on / off:.2f}x (target >= 2); "
                  f"service/bare = {on / bare:.2f} with batching, {off / bare:.2f} without "
                  f"(target >= 0.5)")  # fmt: skip
    print(f"\nfailed requests in all runs: {int(runs['failures'].sum())} (target 0)")
    print(f"load average after: {os.getloadavg()}")
