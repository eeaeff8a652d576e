"""Adaptive batching in BentoML: the same model behind a batchable API and one without.

Starts :func:`prodml_workshop.props.scaling.serve_batching_demo` on the default penguin model (the
scikit-learn pipeline, skops package; one BentoML worker), then load-tests ``/predict``
(``batchable=True``) and ``/predict_unbatched`` (BentoML's default, ``batchable=False``) in
turn, ``--repeats`` times, each in stages of ``--users`` concurrent clients sending one record
per request, ``--duration`` seconds per stage. Prints every stage (requests per second,
p50/p99 latency, the server's CPU milliseconds per request, records per model call) with the
load average before each run, and the median over the repeats.

The server's CPU time per request depends less on what else runs on the machine than the
requests per second (it still grows when other programs crowd the cores), and the ratio of the
two APIs' CPU times is the figure to compare between machines.

Usage::

    .venv/bin/python benchmarks/scaling_batching.py --users 1 8 32 --duration 4 --repeats 2
"""

from __future__ import annotations

import argparse
import os

import pandas as pd

from prodml_workshop.props.scaling import records_per_call, serve_batching_demo
from prodml_workshop.scaling import load_test, penguin_payload
from prodml_workshop.serving import default_model_dir

__all__ = ["measure"]

_APIS = {"batchable=True": "predict", "not batchable": "predict_unbatched"}


def measure(
    users: tuple[int, ...] = (1, 8, 32), duration: int = 4, repeats: int = 1
) -> pd.DataFrame:
    """Load-test both APIs ``repeats`` times, interleaved; return every stage of every run.

    Parameters
    ----------
    users : tuple of int, default=(1, 8, 32)
        Concurrent clients of each stage.
    duration : int, default=4
        Seconds per stage.
    repeats : int, default=1
        Passes over the two APIs.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`~prodml_workshop.scaling.load_test` with ``api``, ``repeat``,
        ``load_1min`` and the columns of :func:`~prodml_workshop.props.scaling.records_per_call`.
    """
    runs = []
    with serve_batching_demo(default_model_dir()) as server:
        for i in range(repeats):
            for label, api in _APIS.items():
                load = os.getloadavg()[0]
                stats = load_test(server.url, users=users, duration=duration, warmup=1.0,
                                  payload=penguin_payload(), endpoint=f"/{api}",
                                  server_pid=server.pid, progress=False)  # fmt: skip
                held = records_per_call(server.calls()[api], stats)
                runs.append(
                    stats.merge(held[["users", "records_per_call"]], on="users").assign(
                        api=label, repeat=i, load_1min=load
                    )
                )
    return pd.concat(runs, ignore_index=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    print(f"load average before: {os.getloadavg()}")
    runs = measure(tuple(args.users), args.duration, args.repeats)
    columns = ["api", "repeat", "load_1min", "users", "requests", "failures", "rps", "p50_ms",
               "p99_ms", "server_cpu_ms", "records_per_call"]  # fmt: skip
    print(runs[columns].to_string(index=False, float_format="{:.1f}".format))
    median = runs.groupby(["api", "users"], sort=False)[columns[5:]].median()
    print("\nmedian of the repeats:")
    print(median.to_string(float_format="{:.1f}".format))
    print(f"\nfailed requests in all runs: {int(runs['failures'].sum())} (target 0)")
    print(f"load average after: {os.getloadavg()}")
