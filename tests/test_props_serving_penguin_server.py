"""The one-screen service file of notebook 02, served for real by ``bentoml serve``.

The package is stored in a BentoML home of the test's own, then the file is served: its
answers must be the package's in-process answers, its type must refuse a bad record with a 400,
and its processes must be a supervisor holding the port and a worker serving on it.
"""

import shutil

import numpy as np
import pandas as pd
import psutil
import pytest
import requests

from prodml_workshop.data import PENGUIN_FEATURES
from prodml_workshop.packaging import load_model
from prodml_workshop.props.serving import process_table, serve_penguin_service, store_model
from prodml_workshop.serving import ServerStartError, to_records

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def home(course_package, tmp_path_factory):
    folder = tmp_path_factory.mktemp("penguin-service")
    package = shutil.copytree(course_package, folder / "penguins")  # the name the file declares
    assert store_model(package, folder / "bentoml").startswith("penguins:")
    return folder / "bentoml"


@pytest.fixture(scope="module")
def server(home):
    with serve_penguin_service(home) as running:
        yield running


def test_store_model_stores_a_package_under_its_folder_name_once(course_package, tmp_path):
    package = shutil.copytree(course_package, tmp_path / "Gentoo Model")
    first = store_model(package, tmp_path / "bentoml")
    assert first.startswith("gentoo-model:")
    assert store_model(package, tmp_path / "bentoml") == first
    assert len(list((tmp_path / "bentoml" / "models" / "gentoo-model").iterdir())) == 2  # + latest


def test_store_model_refuses_a_folder_that_is_not_a_package_and_says_why(tmp_path):
    with pytest.raises(RuntimeError, match="model package written by save_model"):
        store_model(tmp_path, tmp_path / "bentoml")


def test_service_file_answers_what_the_package_predicts_in_process(
    server, course_package, penguin_inputs
):
    # every penguin, missing values (null) included, one request
    records = to_records(penguin_inputs)
    answer = requests.post(f"{server.url}/predict", json={"penguins": records}, timeout=60)
    assert answer.status_code == 200, answer.text
    expected = load_model(course_package).predict(penguin_inputs).tolist()
    assert answer.json() == expected
    assert penguin_inputs.isna().any(axis=1).sum() > 0  # the case was there


def test_service_file_takes_fields_in_any_order_and_nulls_anywhere(server, course_package):
    penguin = {"sex": None, "body_mass_g": None, "island": "Biscoe", "bill_depth_mm": 15.0,
               "flipper_length_mm": 220.0, "bill_length_mm": None}  # fmt: skip
    answer = requests.post(f"{server.url}/predict", json={"penguins": [penguin]}, timeout=30)
    frame = {key: [np.nan if value is None else value] for key, value in penguin.items()}
    inputs = pd.DataFrame(frame)[PENGUIN_FEATURES]
    assert answer.json() == load_model(course_package).predict(inputs).tolist()


def test_service_file_refuses_a_record_missing_fields_with_400(server):
    answer = requests.post(f"{server.url}/predict", json={"penguins": [{"island": "Dream"}]})
    assert answer.status_code == 400
    assert "bill_length_mm" in answer.text


def test_server_is_a_supervisor_holding_the_port_and_a_worker_serving_on_it(server):
    [watchdog] = [p for p in psutil.Process().children() if str(server.port) in p.cmdline()]
    table = process_table(watchdog.pid, port=server.port)
    roles = [role.split(":")[0] for role in table["role"]]
    assert roles == ["watchdog", "supervisor (circus arbiter)", "worker"]
    supervisor, worker = table.iloc[1], table.iloc[2]
    assert worker["parent"] == supervisor["pid"]
    assert "--fd" in worker["command"].split()
    assert supervisor["listens"] in (True, None)  # None: the system does not tell
    assert worker["rss_mb"] > supervisor["rss_mb"]  # the worker holds scikit-learn and the model


def test_serve_penguin_service_without_the_model_in_the_store_fails_with_the_log(
    tmp_path, bentoml_processes, assert_stopped
):
    before = {process.pid for process in bentoml_processes()}  # the module's server
    with pytest.raises(ServerStartError, match="penguins"):
        serve_penguin_service(tmp_path / "empty-home", timeout=60)
    assert_stopped([process for process in bentoml_processes() if process.pid not in before])


def test_process_table_lists_a_process_and_its_children():
    table = process_table(psutil.Process().pid, port=1)
    assert table.loc[0, "pid"] == psutil.Process().pid
    assert not table["listens"].fillna(False).any()
