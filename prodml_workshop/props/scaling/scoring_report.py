"""Batch-scoring runs side by side: a plain loop in one process against Dask clusters.

:func:`scoring_table` puts runs of :func:`~prodml_workshop.scaling.score_parquet` next to a
plain loop's predictions and time: how fast each was, how many times it loaded the model, and
whether it predicted exactly what the loop did. :func:`compare_scoring` runs the loop and a
cluster of each size, then makes that table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.scaling import ScoringResult, score_in_process, score_parquet

__all__ = ["compare_scoring", "scoring_table"]


def scoring_table(
    *runs: ScoringResult,
    loop: Any,
    loop_seconds: float,
    loop_label: str = "plain loop",
) -> pd.DataFrame:
    """Return one row per scoring run, after the row of the plain loop they are compared with.

    Parameters
    ----------
    *runs : ScoringResult
        What :func:`~prodml_workshop.scaling.score_parquet` returned, e.g. with one worker,
        then two.
    loop : array-like
        The loop's predictions, one per row, in the order of the files and rows.
    loop_seconds : float
        The loop's time.
    loop_label : str, default="plain loop"
        The ``runner`` of the loop's row.

    Returns
    -------
    pandas.DataFrame
        One row for the loop, then one per run: ``runner`` (``"Dask, 2 workers"``...),
        ``workers``, ``rows``, ``seconds``, ``rows_per_s``, ``model_loads``, ``speedup``
        (the loop's time over the run's) and ``same_predictions`` (the run predicted what the
        loop did, row for row).

    Examples
    --------
    >>> run = ScoringResult(predictions=pd.Series(["Adelie", "Gentoo"]), seconds=0.5,
    ...                     setup_seconds=2.0, n_workers=2, n_partitions=1, model_loads=2,
    ...                     dashboard_link=None)
    >>> table = scoring_table(run, loop=["Adelie", "Gentoo"], loop_seconds=1.0)
    >>> table[["runner", "rows_per_s", "speedup", "same_predictions"]]
                runner  rows_per_s  speedup  same_predictions
    0       plain loop         2.0      1.0              True
    1  Dask, 2 workers         4.0      2.0              True
    """
    loop = np.asarray(loop)
    rows = [
        {
            "runner": loop_label,
            "workers": 1,
            "rows": len(loop),
            "seconds": loop_seconds,
            "rows_per_s": len(loop) / loop_seconds,
            "model_loads": 1,
            "speedup": 1.0,
            "same_predictions": True,
        }
    ]
    for run in runs:
        rows.append(
            {
                "runner": f"Dask, {run.n_workers} worker{'s' * (run.n_workers > 1)}",
                "workers": run.n_workers,
                "rows": len(run.predictions),
                "seconds": run.seconds,
                "rows_per_s": run.rows_per_s,
                "model_loads": run.model_loads,
                "speedup": loop_seconds / run.seconds,
                "same_predictions": np.array_equal(np.asarray(run.predictions), loop),
            }
        )
    return pd.DataFrame(rows)


def compare_scoring(
    model_dir: str | Path,
    parquet_dir: str | Path,
    *,
    n_workers: tuple[int, ...] = (1, 2),
    memory_limit: str = "1GiB",
    client: Any = None,
) -> pd.DataFrame:
    """Score the same files with a plain loop and with Dask clusters of several sizes.

    Expect one Dask worker to be slower than the loop (every task is scheduled, run in
    another process and its result sent back) and two workers on two cores to be about 1.7x
    faster than one. Dask pays off with cores, and machines, that one process cannot use.

    Parameters
    ----------
    model_dir : str or pathlib.Path
        A model package.
    parquet_dir : str, pathlib.Path or sequence of str
        A folder of ``.parquet`` files, or the files' paths or URLs.
    n_workers : tuple of int, default=(1, 2)
        The cluster sizes to try: ``LocalCluster`` s started and closed in turn, or, with
        ``client``, the first ``n`` workers of that cluster.
    memory_limit : str, default="1GiB"
        Memory per worker of the ``LocalCluster`` s.
    client : distributed.Client, default=None
        Run on this client's cluster (left running) instead of starting clusters.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``runner``, ``workers``, ``rows``, ``partitions``, ``seconds``,
        ``rows_per_s``, ``model_loads``, ``speedup`` (the loop's time over this run's) and
        ``same_predictions`` (identical to the loop's, row for row); see
        :func:`scoring_table`.

    Raises
    ------
    ValueError
        If ``client``'s cluster has fewer workers than a size of ``n_workers``.

    Examples
    --------
    >>> compare_scoring(model_dir, "data/penguins-1m")  # doctest: +SKIP
    """
    baseline = score_in_process(model_dir, parquet_dir)
    if client is None:
        runs = [
            score_parquet(model_dir, parquet_dir, n_workers=n, memory_limit=memory_limit)
            for n in n_workers
        ]
    else:
        addresses = sorted(client.scheduler_info()["workers"])
        if max(n_workers) > len(addresses):
            raise ValueError(
                f"The cluster has {len(addresses)} workers, fewer than the {max(n_workers)} "
                "asked for in n_workers: start more workers or ask for fewer."
            )
        runs = [
            score_parquet(model_dir, parquet_dir, client=client, workers=addresses[:n])
            for n in n_workers
        ]
    table = scoring_table(
        *runs,
        loop=baseline.predictions,
        loop_seconds=baseline.seconds,
        loop_label="single-process loop",
    )
    table.insert(3, "partitions", baseline.n_partitions)
    return table
