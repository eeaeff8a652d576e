"""compare_servers(): the grid of configurations under one load, and batching switched off.

The grid's service runs with batching off: its prediction log (kept with ``log_dir``) shows
one model call per request under concurrent load.
"""

import matplotlib
import pandas as pd
import pytest

from prodml_workshop.props.scaling import (
    BARE_APP,
    SERVICE,
    add_run,
    compare_servers,
    plot_servers,
    requests_per_second,
)
from prodml_workshop.serving import read_log

matplotlib.use("Agg")


@pytest.mark.server
def test_grid_measures_the_service_and_the_bare_app_under_the_same_load(course_packages, tmp_path):
    # the ONNX package: both servers start faster than with skops (no skops import)
    table = compare_servers(course_packages("onnx"), users=4, duration=2, workers=(1,),
                            batching=(False,), warmup=0.5, progress=False,
                            log_dir=tmp_path)  # fmt: skip
    assert table["server"].tolist() == ["bare Starlette", "BentoML service"]
    assert table["batching"].tolist() == [None, False]
    assert (table["workers"] == 1).all() and (table["users"] == 4).all()
    assert (table["failures"] == 0).all(), table["errors"].tolist()
    assert (table["rps"] > 0).all()
    ax = plot_servers(table)
    assert len(ax.patches) == 2
    # the service without batching made one model call per request, 4 requests in flight
    log = read_log(tmp_path / "log-1-False.sqlite")
    assert len(log) == table["requests"].iloc[1]  # one record per request, every one logged
    assert (log["batch_size"] == 1).all()


@pytest.mark.server
def test_bare_workers_can_be_tried_apart_from_the_service(course_packages):
    table = compare_servers(course_packages("onnx"), users=2, duration=1, workers=(),
                            batching=(True,), bare=(2,), warmup=0, progress=False)  # fmt: skip
    assert table[["server", "workers"]].values.tolist() == [[BARE_APP, 2]]
    assert table["batching"].isna().all() and (table["failures"] == 0).all()


def _run(rps):
    return pd.DataFrame({"users": [8], "requests": [int(rps * 4)], "failures": [0], "rps": [rps]})


@pytest.fixture
def grid():
    rows = [(BARE_APP, 1, None, 220.5), (SERVICE, 1, False, 123.0), (BARE_APP, 2, None, 394.0)]
    runs = [_run(rps).assign(server=s, workers=w, batching=b) for s, w, b, rps in rows]
    return pd.concat(runs, ignore_index=True)[["server", "workers", "batching", "users",
                                               "requests", "failures", "rps"]]  # fmt: skip


def test_add_run_labels_a_separate_load_test_and_keeps_the_reading_order(grid):
    table = add_run(grid, _run(577.25), server=SERVICE, workers=1, batching=True)
    assert table.columns.tolist() == grid.columns.tolist()
    assert table[["server", "workers", "batching"]].values.tolist() == [
        [BARE_APP, 1, None], [SERVICE, 1, True], [SERVICE, 1, False], [BARE_APP, 2, None],
    ]  # fmt: skip
    assert table["rps"].tolist() == [220.5, 577.25, 123.0, 394.0]
    assert len(grid) == 3  # the table given is left as it was


def test_add_run_refuses_a_run_without_the_load_test_columns(grid):
    with pytest.raises(ValueError, match=r"lacks the columns \['requests'\].*load_test"):
        add_run(grid, _run(1.0).drop(columns="requests"))


def test_requests_per_second_reads_one_configuration(grid):
    table = add_run(grid, _run(577.25))
    assert requests_per_second(table, SERVICE, batching=True) == 577.25
    assert requests_per_second(table, SERVICE, batching=False) == 123.0
    assert requests_per_second(table, BARE_APP) == 220.5
    assert requests_per_second(table, BARE_APP, workers=2) == 394.0


def test_requests_per_second_names_what_the_table_holds_when_a_configuration_is_missing(grid):
    with pytest.raises(ValueError, match=r"0 runs of BentoML, batching on, 2 worker.*holds: bare"):
        requests_per_second(grid, SERVICE, workers=2, batching=True)
    with pytest.raises(ValueError, match="2 runs of bare Starlette, 1 worker"):
        requests_per_second(pd.concat([grid, grid]), BARE_APP)
