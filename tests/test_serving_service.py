"""The model service, over HTTP: predictions, validation, the log under load, fuzzing.

One real server (two workers, so two processes write the log) serves every test here.
"""

import json
import math
import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from prodml_workshop.packaging import load_model, read_manifest
from prodml_workshop.serving import (
    MAX_RECORDS,
    error_message,
    model_version,
    read_log,
    serve,
    to_records,
)

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def model(course_package):
    return load_model(course_package)


@pytest.fixture(scope="module")
def server(course_package, tmp_path_factory):
    log_db = tmp_path_factory.mktemp("log") / "predictions.sqlite"
    # 120 s: under `make test` another worker shares the cores while two workers start.
    with serve(course_package, workers=2, log_db=log_db, timeout=120) as running:
        yield running


def _post(server, endpoint, body, **kwargs):
    return requests.post(f"{server.url}/{endpoint}", json=body, timeout=30, **kwargs)


def _logged(server):
    return len(read_log(server.log_db)) if server.log_db.exists() else 0


def test_predict_matches_the_in_process_model_on_every_penguin(server, model, penguin_inputs):
    response = _post(server, "predict", {"records": to_records(penguin_inputs)})
    assert response.status_code == 200, response.text
    assert response.json() == model.predict(penguin_inputs).tolist()


def test_predict_takes_one_record_as_an_object_or_a_list_of_one(server, model, penguin_inputs):
    row = penguin_inputs.iloc[[3]]  # a penguin with missing values
    assert row.isna().any(axis=None)
    expected = model.predict(row).tolist()
    assert _post(server, "predict", {"records": to_records(row)[0]}).json() == expected
    assert _post(server, "predict", {"records": to_records(row)}).json() == expected


def test_predict_proba_matches_the_in_process_model(server, model, penguin_inputs):
    batch = penguin_inputs.sample(40, random_state=0)
    response = _post(server, "predict_proba", {"records": to_records(batch)})
    assert response.status_code == 200, response.text
    served = np.array([[row[c] for c in model.classes_] for row in response.json()])
    np.testing.assert_allclose(served, model.predict_proba(batch), rtol=1e-12)


def test_client_predicts_like_the_model(server, model, penguin_inputs):
    batch = penguin_inputs.head(7)
    assert server.client.predict(records=to_records(batch)) == model.predict(batch).tolist()


def test_metadata_returns_the_manifest(server, course_package):
    response = requests.get(f"{server.url}/metadata", timeout=10)
    assert response.status_code == 200
    assert response.json() == read_manifest(course_package)


def test_bentoml_endpoints_stay_available(server):
    for path in ("/readyz", "/livez", "/metrics", "/docs.json", "/"):
        assert requests.get(server.url + path, timeout=10).status_code == 200, path
    paths = requests.get(f"{server.url}/docs.json", timeout=10).json()["paths"]
    assert {"/predict", "/predict_proba"} <= set(paths)


def _penguin(**changes):
    record = {
        "island": "Dream",
        "bill_length_mm": 39.1,
        "bill_depth_mm": 18.7,
        "flipper_length_mm": 181.0,
        "body_mass_g": 3750.0,
        "sex": "female",
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


_BAD_BODIES = {
    "missing field": (json.dumps({"records": [_penguin(sex=...)]}), "sex"),
    "extra field": (json.dumps({"records": [_penguin(species="Adelie")]}), "species"),
    "string for a number": (json.dumps({"records": [_penguin(body_mass_g="3750")]}), "body_mass_g"),
    "number for a string": (json.dumps({"records": [_penguin(island=3)]}), "island"),
    # json.dumps writes the non-standard literals NaN and Infinity, as a careless client does.
    "NaN literal": (json.dumps({"records": [_penguin(bill_depth_mm=math.nan)]}), "finite"),
    "Infinity literal": (json.dumps({"records": [_penguin(bill_depth_mm=-math.inf)]}), "finite"),
    "number too large for a float": (
        json.dumps({"records": [_penguin()]}).replace("39.1", "1e999"),
        "finite",
    ),
    "empty batch": (json.dumps({"records": []}), "at least 1"),
    "oversized batch": (json.dumps({"records": [_penguin()] * (MAX_RECORDS + 1)}), "at most"),
    "no records key": (json.dumps({"rows": [_penguin()]}), "records"),
    "a list instead of an object": (json.dumps([_penguin()]), "object"),
    "not JSON at all": ("island=Dream", "JSON"),
    "truncated JSON": ('{"records": [{"island": "Dre', "JSON"),
}


@pytest.mark.parametrize("endpoint", ["predict", "predict_proba"])
@pytest.mark.parametrize("case", list(_BAD_BODIES))
def test_bad_request_gets_4xx_naming_the_problem_and_the_server_stays_healthy(
    server, endpoint, case
):
    body, problem = _BAD_BODIES[case]
    before = _logged(server)
    response = requests.post(
        f"{server.url}/{endpoint}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert problem in response.text
    assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
    assert _logged(server) == before


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing field", "records.0.sex: Field required"),
        ("extra field", "records.0.species: Extra inputs are not permitted"),
        ("string for a number", "records.0.body_mass_g: Input should be a valid number"),
        ("empty batch", "records: "),
        ("a list instead of an object", "Input should be an object"),
        ("not JSON at all", "Invalid JSON"),
    ],
)
def test_error_message_reads_the_place_and_reason_of_a_real_400_answer(server, case, expected):
    body, problem = _BAD_BODIES[case]
    response = requests.post(
        f"{server.url}/predict", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 400
    message = error_message(response.json())
    assert message.startswith(expected) and problem in message
    assert "\n" not in message


def test_error_message_reads_every_problem_and_other_errors(server):
    two = json.dumps({"records": [_penguin(island=3, body_mass_g="3750")]})
    response = requests.post(
        f"{server.url}/predict", data=two, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert error_message(response.json()).split("; ") == [
        "records.0.island: Input should be a valid string",
        "records.0.body_mass_g: Input should be a valid number",
    ]
    plain = requests.post(f"{server.url}/predict", data=two, timeout=30)  # no Content-Type
    assert plain.status_code == 415
    assert error_message(plain.json()) == plain.json()["error"]
    served = _post(server, "predict", {"records": [_penguin()]})
    with pytest.raises(ValueError, match="not an error answer"):
        error_message(served.json())


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_predict_refuses_a_body_that_is_not_declared_json_with_415(server, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"records": [_penguin()]})
    response = requests.post(f"{server.url}/predict", data=body, headers=headers, timeout=30)
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]


def test_predict_refuses_an_oversized_body_with_413(server):
    body = b'{"records": [' + b" " * (5 * 2**20) + b"]}"
    response = requests.post(
        f"{server.url}/predict",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert "bytes" in response.json()["error"]


def test_request_id_is_returned_and_logged_with_each_prediction(
    server, course_package, penguin_inputs
):
    response = _post(
        server,
        "predict",
        {"records": to_records(penguin_inputs.head(3))},
        headers={"X-Request-ID": "q-42"},
    )
    assert response.headers["X-Request-ID"] == "q-42"
    log = read_log(server.log_db)
    rows = log[log["request_id"] == "q-42"]
    assert len(rows) == 3
    assert rows["outputs"].tolist() == response.json()
    assert rows["inputs"].tolist() == to_records(penguin_inputs.head(3))
    assert set(rows["model_version"]) == {model_version(read_manifest(course_package))}
    assert set(rows["endpoint"]) == {"predict"}


def test_log_holds_every_prediction_served_under_concurrent_load(server, model, penguin_inputs):
    before = _logged(server)
    rng = random.Random(0)
    plans = [[penguin_inputs.sample(rng.randint(1, 12), random_state=rng.randrange(10**6))
              for _ in range(25)] for _ in range(8)]  # fmt: skip

    def client(batches):
        served = 0
        with requests.Session() as session:
            for batch in batches:
                size = len(batch)
                endpoint = "predict" if size % 3 else "predict_proba"
                response = session.post(
                    f"{server.url}/{endpoint}", json={"records": to_records(batch)}, timeout=60
                )
                assert response.status_code == 200, response.text
                if endpoint == "predict":
                    assert response.json() == model.predict(batch).tolist()
                else:
                    assert len(response.json()) == size
                served += size
        return served

    with ThreadPoolExecutor(max_workers=8) as pool:
        served = sum(pool.map(client, plans))
    assert served == sum(len(batch) for batches in plans for batch in batches)
    log = read_log(server.log_db)
    assert len(log) - before == served
    assert log["batch_size"].max() > 1  # adaptive batching merged some requests


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_fuzzing_from_the_openapi_schema_finds_no_server_error(server, mode):
    schema = schemathesis.openapi.from_url(f"{server.url}/docs.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"/predict", "/predict_proba"} <= {operation.path for operation in operations}
    if not mode.is_positive:  # only a request body can be invalid; the GETs take nothing
        operations = [operation for operation in operations if operation.method == "post"]
        assert len(operations) == 2
    for operation in operations:

        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def no_server_error(case):
            case.call_and_validate(base_url=server.url, checks=[not_a_server_error])

        no_server_error()
