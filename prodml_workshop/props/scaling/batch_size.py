"""In-process cost of one prediction call as the batch grows: why batching pays.

A model call has a fixed cost (checking the input, building arrays, dispatching each step of
a pipeline, crossing into a runtime) and a cost per row. At batch size 1 the fixed cost is
all there is; at 10,000 rows it is shared by all of them, so the rows predicted per second
climb by orders of magnitude and then flatten. :func:`latency_by_batch_size` measures that
curve for any loaded models (e.g. the scikit-learn pipeline and its ONNX twin) and
:func:`plot_batch_sizes` draws it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BATCH_SIZES", "latency_by_batch_size", "plot_batch_sizes"]

#: The batch sizes measured by default.
BATCH_SIZES = (1, 10, 100, 1_000, 10_000)


def _time_calls(predict: Any, batch: Any, min_seconds: float, min_calls: int) -> list[float]:
    predict(batch)  # warm-up: first-call caches, lazy imports
    times: list[float] = []
    spent = 0.0
    while len(times) < min_calls or spent < min_seconds:
        start = time.perf_counter()
        predict(batch)
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return times


def latency_by_batch_size(
    models: Mapping[str, Any],
    X: pd.DataFrame,
    *,
    batch_sizes: Sequence[int] = BATCH_SIZES,
    min_seconds: float = 0.2,
    min_calls: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Time ``predict`` on batches of growing size, in this process.

    Parameters
    ----------
    models : mapping of str to model
        Named models with ``predict(X)``, e.g.
        ``{"scikit-learn": load_model(skops_dir), "ONNX": load_model(onnx_dir)}``.
    X : pandas.DataFrame
        Rows to draw the batches from; drawn with replacement when a batch is larger.
    batch_sizes : sequence of int, default=BATCH_SIZES
        The batch sizes, 1 to 10,000 by default.
    min_seconds : float, default=0.2
        Each (model, batch size) is called until this much time has been spent...
    min_calls : int, default=3
        ... and at least this many times, after one untimed warm-up call.
    seed : int, default=0
        Seed of the row sampling; every model gets the same batches.

    Returns
    -------
    pandas.DataFrame
        One row per model and batch size: ``model``, ``batch_size``, ``calls``,
        ``ms_per_call`` (the median call), ``us_per_row`` and ``rows_per_s``.

    Raises
    ------
    ValueError
        If a batch size is not a positive integer.

    Examples
    --------
    >>> curve = latency_by_batch_size({"scikit-learn": model}, X)  # doctest: +SKIP
    >>> curve[["batch_size", "us_per_row"]]  # doctest: +SKIP
       batch_size  us_per_row
    0           1     3022.5
    1          10      302.2
    ...
    4       10000        0.7
    """
    if any(int(size) != size or size < 1 for size in batch_sizes):
        raise ValueError(f"Batch sizes must be positive integers, got {list(batch_sizes)}.")
    rng = np.random.default_rng(seed)
    batches = {
        int(size): X.iloc[rng.choice(len(X), size=int(size), replace=size > len(X))]
        for size in batch_sizes
    }
    rows = []
    for name, model in models.items():
        for size, batch in batches.items():
            times = _time_calls(model.predict, batch, min_seconds, min_calls)
            median = float(np.median(times))
            rows.append(
                {
                    "model": name,
                    "batch_size": size,
                    "calls": len(times),
                    "ms_per_call": median * 1e3,
                    "us_per_row": median * 1e6 / size,
                    "rows_per_s": size / median,
                }
            )
    return pd.DataFrame(rows)


def plot_batch_sizes(curve: pd.DataFrame, ax: Any = None) -> Any:
    """Plot rows predicted per second against batch size, one line per model, log-log.

    Parameters
    ----------
    curve : pandas.DataFrame
        The table of :func:`latency_by_batch_size`.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The plot.

    Examples
    --------
    >>> plot_batch_sizes(latency_by_batch_size({"scikit-learn": model}, X))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, group in curve.groupby("model", sort=False):
        ax.plot(group["batch_size"], group["rows_per_s"], marker="o", label=str(name))
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="rows per predict call (batch size)",
        ylabel="rows predicted per second",
        title="One call per row wastes most of the model's time",
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax
