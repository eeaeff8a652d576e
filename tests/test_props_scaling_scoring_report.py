"""scoring_table(): batch-scoring runs beside a plain loop, whatever the model predicts."""

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.props.scaling import scoring_table
from prodml_workshop.scaling import ScoringResult


def _run(predictions, seconds, n_workers, model_loads):
    return ScoringResult(
        predictions=pd.Series(predictions, name="prediction"),
        seconds=seconds,
        setup_seconds=1.0,
        n_workers=n_workers,
        n_partitions=3,
        model_loads=model_loads,
        dashboard_link=None,
    )


def test_each_run_sits_beside_the_loop_with_its_speedup_and_throughput():
    loop = np.array([0.25, 1.5, -3.0, 2.0])  # a regressor's predictions, in a NumPy array
    table = scoring_table(_run(loop, 2.0, 1, 1), _run(loop, 0.5, 2, 1), loop=loop, loop_seconds=1.0)
    assert table.columns.tolist() == [
        "runner", "workers", "rows", "seconds", "rows_per_s", "model_loads", "speedup",
        "same_predictions",
    ]  # fmt: skip
    assert table["runner"].tolist() == ["plain loop", "Dask, 1 worker", "Dask, 2 workers"]
    assert table["workers"].tolist() == [1, 1, 2] and (table["rows"] == 4).all()
    assert table["speedup"].tolist() == pytest.approx([1.0, 0.5, 2.0])
    assert table["rows_per_s"].tolist() == pytest.approx([4.0, 2.0, 8.0])
    assert table["same_predictions"].all()


def test_a_run_that_predicts_otherwise_or_misses_rows_is_not_the_same():
    loop = ["Adelie", "Gentoo", "Chinstrap"]
    table = scoring_table(
        _run(["Adelie", "Chinstrap", "Chinstrap"], 1.0, 2, 2),
        _run(loop[:2], 1.0, 2, 2),
        _run(loop, 1.0, 2, 2),
        loop=loop,
        loop_seconds=1.0,
        loop_label="single-process loop",
    )
    assert table["runner"].iloc[0] == "single-process loop"
    assert table["same_predictions"].tolist() == [True, False, False, True]
