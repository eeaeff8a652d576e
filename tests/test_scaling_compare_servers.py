"""compare_servers(): the grid of configurations under one load, and batching switched off."""

from concurrent.futures import ThreadPoolExecutor

import matplotlib
import pytest
import requests

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import save_model
from prodml_workshop.packaging.demo import penguin_pipeline
from prodml_workshop.scaling import compare_servers, penguin_payload, plot_servers
from prodml_workshop.serving import read_log, serve

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    penguins = load_penguins()
    X = penguins[PENGUIN_FEATURES]
    path = tmp_path_factory.mktemp("models") / "penguins"
    return save_model(penguin_pipeline().fit(X, penguins["species"]), path, format="skops",
                      sample_input=X.head())  # fmt: skip


def test_grid_measures_the_service_and_the_bare_app_under_the_same_load(package):
    table = compare_servers(package, users=4, duration=2, workers=(1,), batching=(False,),
                            warmup=0.5, progress=False)  # fmt: skip
    assert table["server"].tolist() == ["bare Starlette", "BentoML service"]
    assert table["batching"].tolist() == [None, False]
    assert (table["workers"] == 1).all() and (table["users"] == 4).all()
    assert (table["failures"] == 0).all(), table["errors"].tolist()
    assert (table["rps"] > 0).all()
    ax = plot_servers(table)
    assert len(ax.patches) == 2


def test_service_without_batching_makes_one_model_call_per_request(package, tmp_path):
    log_db = tmp_path / "log.sqlite"
    body = penguin_payload()
    with serve(package, batching=False, log_db=log_db) as server:

        def send(_):
            response = requests.post(f"{server.url}/predict", json=body, timeout=30)
            return response.status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(send, range(80))) == {200}
    log = read_log(log_db)
    assert len(log) == 80
    assert (log["batch_size"] == 1).all()
