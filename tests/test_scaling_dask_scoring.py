"""Dask batch scoring: on `dask scheduler`/`dask worker` processes that see only the network.

The module's cluster is started with Dask's command-line tools, as on several machines. When
this runs as root with ``unshare``, each worker also runs in a mount namespace of its own in
which the whole pytest temporary folder (the model packages, the Parquet files) is hidden
under an empty tmpfs: the package can only reach it through the cluster, and the data by URL.
"""

import os
import shutil
import subprocess
import tempfile

import numpy as np
import pandas as pd
import psutil
import pytest
from sklearn.ensemble import RandomForestRegressor

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import load_model, save_model
from prodml_workshop.props.scaling import (
    compare_scoring,
    dask_cluster,
    make_scoring_dataset,
    serve_folder,
)
from prodml_workshop.scaling import score_in_process, score_parquet

#: Runs a command with an empty tmpfs over the folder named by its first argument, in a mount
#: namespace of its own: ``[*_HIDE, folder, command...]``.
_HIDE = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none "$0" && exec "$@"']


def _can_hide() -> bool:
    """Whether this process may hide a folder from a child (root, and mounts allowed)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        return subprocess.run([*_HIDE, folder, "true"], capture_output=True).returncode == 0


CAN_HIDE = _can_hide()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_scoring_dataset(tmp_path_factory.mktemp("data"), 20_000, n_partitions=5)


@pytest.fixture(scope="module")
def hidden(tmp_path_factory):
    """The folder the cluster's workers cannot see (when CAN_HIDE): every test file's."""
    return tmp_path_factory.getbasetemp()


@pytest.fixture(scope="module")
def cluster(hidden):
    prefix = [*_HIDE, str(hidden)] if CAN_HIDE else []
    with dask_cluster(2, dashboard=False, worker_prefix=prefix) as client:
        processes = [p for p in psutil.Process().children(recursive=True)
                     if "dask" in " ".join(p.cmdline())]  # fmt: skip
        yield client
    _, alive = psutil.wait_procs(processes, timeout=15)
    for process in alive:
        process.kill()
    assert not alive, "a Dask process outlived its with-block"


@pytest.fixture(scope="module")
def served(dataset):
    with serve_folder(dataset) as server:
        yield server


def _workers(client):
    return sorted(client.scheduler_info()["workers"])


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


def test_text_labels_are_held_as_categories_one_byte_a_row(dataset, course_packages):
    loop = score_in_process(course_packages("onnx"), dataset)
    assert isinstance(loop.predictions.dtype, pd.CategoricalDtype)
    assert set(loop.predictions.cat.categories) == {"Adelie", "Chinstrap", "Gentoo"}
    # 20,000 labels in about 20 kB, not 20,000 Python strings (~1.2 MB)
    assert loop.predictions.memory_usage(deep=True) < 2 * len(loop.predictions) + 5_000
    expected = load_model(course_packages("onnx")).predict(
        pd.concat([pd.read_parquet(p) for p in sorted(dataset.glob("*.parquet"))])
    )
    assert loop.predictions.tolist() == list(expected)


@pytest.mark.server
def test_cluster_is_a_scheduler_and_workers_started_as_separate_commands(cluster, dataset):
    commands = [p.cmdline()[1:4] for p in psutil.Process().children(recursive=True)]
    assert commands.count(["-m", "dask", "scheduler"]) == 1  # `dask scheduler`
    assert commands.count(["-m", "dask", "worker"]) == 2
    homes = cluster.run(os.getcwd)
    assert len(set(homes.values())) == 2 and os.getcwd() not in homes.values()
    if CAN_HIDE:
        assert not any(cluster.run(os.path.exists, str(dataset)).values())


@pytest.mark.server
def test_workers_score_urls_with_the_package_shipped_through_the_cluster(
    cluster, served, dataset, course_packages
):
    package = course_packages("onnx")
    if CAN_HIDE:  # the workers cannot read the package where this process has it
        assert not any(cluster.run(os.path.exists, str(package)).values())
    loop = score_in_process(package, dataset)
    urls = served.urls("*.parquet")
    both = score_parquet(package, urls, client=cluster)
    pd.testing.assert_series_equal(both.predictions, loop.predictions)
    assert both.n_workers == 2 and both.n_partitions == 5
    assert both.model_loads == 2  # once per worker, not once per partition
    one = score_parquet(package, urls, client=cluster, workers=_workers(cluster)[:1])
    assert one.n_workers == 1 and one.model_loads == 0  # kept loaded in the worker
    pd.testing.assert_series_equal(one.predictions, loop.predictions)
    assert all(served.requests[f"/{p.name}"] >= 2 for p in sorted(dataset.glob("*.parquet")))


@pytest.mark.server
def test_scoring_on_a_running_cluster_by_address_keeps_models_loaded(cluster, tmp_path):
    # a regressor on numeric columns with spaces in their names, its files served by URL
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(3_000, 3)), columns=["bill length", "flipper", "mass (g)"])
    model = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0)
    model.fit(X, 2 * X["bill length"] + rng.normal(size=len(X)))
    package = save_model(model, tmp_path / "forest", format="onnx", sample_input=X.head())
    (tmp_path / "data").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(X)), 3)):
        X.iloc[rows].to_parquet(tmp_path / "data" / f"part-{i}.parquet")
    expected = load_model(package).predict(X)
    worker = _workers(cluster)[:1]
    with serve_folder(tmp_path / "data") as data:
        address = cluster.scheduler.address
        first = score_parquet(package, data.urls(), scheduler_address=address, workers=worker)
        again = score_parquet(package, data.urls(), client=cluster, workers=worker)
    assert cluster.status == "running"  # the cluster was not ours to close
    assert first.model_loads == 1 and again.model_loads == 0  # cached in the worker process
    np.testing.assert_allclose(first.predictions, expected, rtol=1e-6)
    np.testing.assert_allclose(again.predictions, expected, rtol=1e-6)


@pytest.mark.server
def test_compare_scoring_reports_the_loop_and_each_cluster(cluster, served, course_packages):
    table = compare_scoring(course_packages("onnx"), served.urls("*.parquet"), n_workers=(1,),
                            client=cluster)  # fmt: skip
    assert table["runner"].tolist() == ["single-process loop", "Dask, 1 worker"]
    assert table["same_predictions"].all()
    assert (table["rows"] == 20_000).all() and (table["seconds"] > 0).all()
    assert table["speedup"].iloc[0] == 1
    with pytest.raises(ValueError, match="2 workers, fewer than the 3"):
        compare_scoring(course_packages("onnx"), served.urls(), n_workers=(3,), client=cluster)


@pytest.mark.server
def test_dask_scoring_on_a_local_cluster_equals_the_loop_and_leaves_no_process(
    course_packages, dataset, assert_stopped
):
    package = course_packages("onnx")
    before = _spawned_children()
    loop = score_in_process(package, dataset)
    result = score_parquet(package, dataset, n_workers=2)
    assert len(result.predictions) == 20_000
    pd.testing.assert_series_equal(result.predictions, loop.predictions)
    assert result.n_workers == 2 and result.n_partitions == 5
    assert result.model_loads == 2  # once per worker, not once per partition
    assert result.dashboard_link.startswith("http")
    assert_stopped(_spawned_children() - before, timeout=10)


def test_score_parquet_explains_an_empty_folder_and_a_folder_that_is_no_package(
    course_packages, tmp_path, dataset
):
    with pytest.raises(FileNotFoundError, match="make_scoring_dataset"):
        score_parquet(course_packages("onnx"), tmp_path)
    with pytest.raises(FileNotFoundError, match=r"not a model package.*save_model"):
        score_parquet(tmp_path, dataset)


def test_serve_folder_refuses_a_file(dataset):
    with pytest.raises(NotADirectoryError, match="not a folder"):
        with serve_folder(dataset / "part-00000.parquet"):
            pass
