"""Dask batch scoring: the loop's predictions row for row, one model load per worker, no leak."""

import numpy as np
import pandas as pd
import psutil
import pytest

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.scaling import (
    compare_scoring,
    local_cluster,
    make_scoring_dataset,
    score_in_process,
    score_parquet,
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_scoring_dataset(tmp_path_factory.mktemp("data"), 20_000, n_partitions=5)


def _spawned_children():
    return {p for p in psutil.Process().children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline())}  # fmt: skip


def test_dataset_is_penguin_like_new_rows_in_partitions(dataset):
    parts = sorted(dataset.glob("*.parquet"))
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(5)]
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    assert len(frame) == 20_000 and list(frame.columns) == PENGUIN_FEATURES
    penguins = load_penguins()
    assert set(frame["island"]) == set(penguins["island"])
    assert frame["sex"].isna().mean() == pytest.approx(penguins["sex"].isna().mean(), abs=0.01)
    lengths = frame["bill_length_mm"].dropna()
    assert lengths.between(penguins["bill_length_mm"].min() - 2,
                           penguins["bill_length_mm"].max() + 2).all()  # fmt: skip
    assert lengths.nunique() > penguins["bill_length_mm"].nunique()  # jittered: new values


@pytest.mark.server
def test_dask_scoring_equals_the_loop_row_for_row_and_leaves_no_process(
    course_package, dataset, assert_stopped
):
    before = _spawned_children()
    loop = score_in_process(course_package, dataset)
    result = score_parquet(course_package, dataset, n_workers=2)
    assert len(result.predictions) == 20_000
    pd.testing.assert_series_equal(result.predictions, loop.predictions)
    assert result.n_workers == 2 and result.n_partitions == 5
    assert result.model_loads == 2  # once per worker, not once per partition
    assert result.dashboard_link.startswith("http")
    assert_stopped(_spawned_children() - before, timeout=10)


@pytest.mark.server
def test_scoring_on_a_running_cluster_by_address_keeps_models_loaded(course_package, dataset):
    loop = score_in_process(course_package, dataset)
    with local_cluster(1) as client:
        first = score_parquet(course_package, dataset, scheduler_address=client.scheduler.address)
        again = score_parquet(course_package, dataset, client=client)
        assert client.status == "running"  # the cluster was not ours to close
    assert first.model_loads == 1 and again.model_loads == 0  # cached in the worker process
    assert np.array_equal(first.predictions, loop.predictions)
    assert np.array_equal(again.predictions, loop.predictions)


@pytest.mark.server
def test_compare_scoring_reports_the_loop_and_each_cluster(course_package, dataset):
    table = compare_scoring(course_package, dataset, n_workers=(1,))
    assert table["runner"].tolist() == ["single-process loop", "Dask, 1 worker"]
    assert table["same_predictions"].all()
    assert (table["rows"] == 20_000).all() and (table["seconds"] > 0).all()
    assert table["speedup"].iloc[0] == 1


def test_score_parquet_explains_an_empty_folder(course_package, tmp_path):
    with pytest.raises(FileNotFoundError, match="make_scoring_dataset"):
        score_parquet(course_package, tmp_path)
