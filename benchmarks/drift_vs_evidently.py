"""Time detect_data_drift against Evidently's DataDriftPreset on the same large data.

Both run in this one process, one after the other, on the same two frames (reference and
current, each ``--rows`` rows by ``--columns`` columns: continuous floats, a few discrete
numbers, string categories and 0/1 integers, about a third of them shifted). Prints one table
row: rows, columns, seconds for each, the ratio, whether all per-column verdicts and test
names agree, and the peak extra memory of each: for Evidently the resident set size above its
level before the run, sampled every 10 ms during the timed run; for ours, whose arrays live
too briefly for that sampling, the peak traced by ``tracemalloc`` (numpy reports its buffers
to it) in a second, untimed run.

Usage::

    .venv/bin/python benchmarks/drift_vs_evidently.py               # 1 000 000 x 20
    .venv/bin/python benchmarks/drift_vs_evidently.py --rows 100000 --columns 10
"""

from __future__ import annotations

import argparse
import gc
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import psutil

from prodml_workshop.monitoring import detect_data_drift
from prodml_workshop.props.monitoring import evidently_drift_result, run_evidently_drift

_CATEGORIES = np.array(["red", "green", "blue", "grey"], dtype=object)


def make_frames(rows: int, columns: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return a reference and a current frame; every third column drifts in the current one."""
    rng = np.random.default_rng(seed)
    reference, current = {}, {}
    for index in range(columns):
        shift = 0.3 if index % 3 == 1 else 0.0
        kind = index % 5
        name = f"{['float', 'float', 'discrete', 'category', 'binary'][kind]}_{index}"
        for frame, s in ((reference, 0.0), (current, shift)):
            if kind in (0, 1):
                frame[name] = rng.normal(s, 1.0, rows)
            elif kind == 2:
                frame[name] = rng.integers(0, 4, rows) + (rng.random(rows) < s).astype(float)
            elif kind == 3:
                weights = np.array([0.4 - s / 2, 0.3, 0.2, 0.1 + s / 2])
                frame[name] = rng.choice(_CATEGORIES, rows, p=weights)
            else:
                frame[name] = (rng.random(rows) < 0.3 + s / 2).astype(np.int64)
    return pd.DataFrame(reference), pd.DataFrame(current)


def _measure(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``function``; return its result, wall seconds and peak extra RSS in MB."""
    gc.collect()
    process = psutil.Process()
    baseline = peak = process.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    peak = max(peak, process.memory_info().rss)
    return result, seconds, (peak - baseline) / 2**20


def _traced_peak_mb(function: Callable[[], Any]) -> float:
    """Peak memory allocated while ``function`` runs, in MB, as tracemalloc sees it."""
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the comparison and print the table; return it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in each frame")
    parser.add_argument("--columns", type=int, default=20, help="columns in each frame")
    args = parser.parse_args(argv)

    reference, current = make_frames(args.rows, args.columns)
    ours, our_s, _ = _measure(lambda: detect_data_drift(reference, current))
    our_mb = _traced_peak_mb(lambda: detect_data_drift(reference, current))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Evidently's own deprecation and runtime warnings
        theirs, their_s, their_mb = _measure(
            lambda: evidently_drift_result(run_evidently_drift(reference, current))
        )
    merged = ours.table.merge(theirs.table, on="column", suffixes=("", "_evidently"))
    agree = (
        len(merged) == len(ours.table) == len(theirs.table)
        and bool((merged["drifted"] == merged["drifted_evidently"]).all())
        and bool((merged["test"] == merged["test_evidently"]).all())
        and ours.dataset_drift == theirs.dataset_drift
    )
    table = pd.DataFrame(
        [
            {
                "rows": args.rows,
                "columns": args.columns,
                "ours_s": round(our_s, 2),
                "evidently_s": round(their_s, 2),
                "ratio": round(their_s / our_s, 1),
                "verdicts_agree": agree,
                "ours_peak_MB": round(our_mb),
                "evidently_peak_MB": round(their_mb),
            }
        ]
    )
    print(table.to_string(index=False))
    print(f"tests used: {ours.table['test'].value_counts().to_dict()}")
    print(f"drifted columns: {ours.n_drifted} of {len(ours.table)}")
    return table


if __name__ == "__main__":
    main()
