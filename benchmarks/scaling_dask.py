"""Batch scoring of 1 million penguin-like rows: a plain loop, Dask with 1 worker, with 2.

Writes the dataset with :func:`prodml_workshop.props.scaling.make_scoring_dataset` (10 Parquet
files of 100,000 rows) in a temporary folder, then runs
:func:`prodml_workshop.props.scaling.compare_scoring` with the default penguin model ``--repeats``
times and prints every run (with the load average before it), the median and best time per
runner and the 2-worker speedup over 1 worker (target: at least 1.6x on a 2-core machine).
Cluster start-up and model loading are not in the timings.

``--cluster local`` starts a ``LocalCluster`` per run, the workers reading the files by path;
``--cluster cli`` starts ``dask scheduler`` and two ``dask worker`` processes once
(:func:`prodml_workshop.props.scaling.dask_cluster`) and serves the files over HTTP on loopback
(:func:`prodml_workshop.props.scaling.serve_folder`), as notebook 03 does.

Usage::

    .venv/bin/python benchmarks/scaling_dask.py --rows 1000000 --repeats 3 --cluster cli
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path

import pandas as pd

from prodml_workshop.props.scaling import (
    compare_scoring,
    dask_cluster,
    make_scoring_dataset,
    serve_folder,
)
from prodml_workshop.serving import default_model_dir

__all__ = ["measure"]


def measure(
    n_rows: int = 1_000_000, n_partitions: int = 10, repeats: int = 3, cluster: str = "local"
) -> pd.DataFrame:
    """Score the dataset ``repeats`` times with each runner; return every run.

    Parameters
    ----------
    n_rows : int, default=1_000_000
        Rows in the dataset.
    n_partitions : int, default=10
        Parquet files.
    repeats : int, default=3
        Runs of :func:`~prodml_workshop.props.scaling.compare_scoring`.
    cluster : {"local", "cli"}, default="local"
        A ``LocalCluster`` per run, or one cluster of ``dask`` commands reading by URL.

    Returns
    -------
    pandas.DataFrame
        Its rows, with ``repeat`` and ``load_1min`` (the load average before the run).
    """
    model_dir = default_model_dir()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        folder = make_scoring_dataset(Path(tmp) / "penguins", n_rows, n_partitions=n_partitions)
        data, client = folder, None
        if cluster == "cli":
            data = stack.enter_context(serve_folder(folder)).urls("*.parquet")
            client = stack.enter_context(dask_cluster(2, dashboard=False))
        runs = []
        for i in range(repeats):
            load = os.getloadavg()[0]
            table = compare_scoring(model_dir, data, client=client)
            runs.append(table.assign(repeat=i, load_1min=load))
    return pd.concat(runs, ignore_index=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cluster", choices=["local", "cli"], default="local")
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    print(f"load average before: {os.getloadavg()}")
    runs = measure(args.rows, args.partitions, args.repeats, args.cluster)
    print(runs.to_string(index=False, float_format="{:.2f}".format))
    grouped = runs.groupby("runner", sort=False)["seconds"]
    for how, seconds in (("median", grouped.median()), ("best", grouped.min())):
        ratio = seconds["Dask, 1 worker"] / seconds["Dask, 2 workers"]
        print(f"\n{how} of the repeats, seconds: " + ", ".join(
            f"{runner} {value:.2f}" for runner, value in seconds.items()))  # fmt: skip
        print(f"2 workers vs 1: {ratio:.2f}x faster (target >= 1.6)")
    print(f"all runs gave the loop's predictions: {bool(runs['same_predictions'].all())}")
    print(f"load average after: {os.getloadavg()}")
