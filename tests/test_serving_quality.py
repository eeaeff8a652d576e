"""Data quality at the door, over HTTP: out-of-range records logged, or refused with 422.

The model is one the course never serves: a regression tree ensemble with spaces in its
feature names, an int feature and a categorical one, saved with its reference profile. One
server per policy ("log", "refuse") serves every test here.
"""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from prodml_workshop.monitoring import logged_inputs, quality_issues, read_profile
from prodml_workshop.packaging import load_model, read_manifest, save_model
from prodml_workshop.serving import (
    ModelServer,
    ServerStartError,
    error_message,
    model_version,
    read_log,
    serve,
    to_records,
)
from prodml_workshop.serving.ports import free_port
from prodml_workshop.serving.rollout import RolloutConfigError

pytestmark = pytest.mark.server


def wind_data(n=300, seed=0):
    """Wind readings: spaces in the names, an int column, a categorical one."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "wind speed": rng.uniform(0, 20, n),
            "sky cover": rng.choice(["clear", "cloudy", "rain"], n),
            "n stations": rng.integers(1, 6, n),
        }
    )
    return X, X["wind speed"] * 2 + X["n stations"] + (X["sky cover"] == "rain") * 5


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    X, y = wind_data()
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["sky cover"]), remainder="passthrough"
    )
    model = make_pipeline(encode, HistGradientBoostingRegressor(max_iter=30)).fit(X, y)
    return save_model(model, tmp_path_factory.mktemp("wind") / "wind v1", format="skops",
                      sample_input=X.head(), reference=X)  # fmt: skip


@pytest.fixture(scope="module")
def version(package):
    return model_version(read_manifest(package))


@pytest.fixture(scope="module")
def logging_server(package, tmp_path_factory):
    with serve(
        package, log_db=tmp_path_factory.mktemp("log") / "log.sqlite", timeout=120
    ) as running:
        yield running


@pytest.fixture(scope="module")
def refusing_server(package, tmp_path_factory):
    log_db = tmp_path_factory.mktemp("log") / "log.sqlite"
    with serve(package, log_db=log_db, quality="refuse", timeout=120) as running:
        yield running


def _records(n=3):
    return to_records(wind_data(n, seed=1)[0])


def _far(records, position=1):
    """The records, one of them with a wind speed 100 times the training maximum."""
    records = [dict(r) for r in records]
    records[position]["wind speed"] = 100 * 20.0
    return records


def _post(server, records, request_id, endpoint="predict"):
    return requests.post(f"{server.url}/{endpoint}", json={"records": records},
                         headers={"X-Request-ID": request_id}, timeout=30)  # fmt: skip


def _logged(server, request_id):
    log = read_log(server.log_db)
    return log[log["request_id"] == request_id].reset_index(drop=True)


def test_a_record_100_times_out_of_range_is_answered_and_logged_by_name(
    logging_server, package, version
):
    records = _far(_records())
    response = _post(logging_server, records, "far-1")
    assert response.status_code == 200, response.text
    expected = load_model(package).predict(pd.DataFrame(records)).tolist()
    assert response.json() == pytest.approx(expected)
    assert response.headers["X-Model-Version"] == version
    rows = _logged(logging_server, "far-1")
    assert rows["quality"].tolist() == ["", "wind speed", ""]
    assert (rows["role"] == "served").all() and (rows["model_version"] == version).all()


def test_every_out_of_range_or_unseen_feature_is_named(logging_server):
    records = _far(_records(2), position=0)
    records[0]["sky cover"] = "volcanic ash"
    records[1]["n stations"] = 500
    assert _post(logging_server, records, "far-2").status_code == 200
    assert _logged(logging_server, "far-2")["quality"].tolist() == [
        "wind speed,sky cover",
        "n stations",
    ]


def test_a_feature_never_missing_in_the_reference_is_logged_when_missing(logging_server):
    # The model answers a null (the tree ensemble routes NaN): only the check can tell.
    records = [{"wind speed": None, "sky cover": None, "n stations": 3}, _records(1)[0]]
    assert _post(logging_server, records, "missing-1").status_code == 200
    assert _logged(logging_server, "missing-1")["quality"].tolist() == ["wind speed,sky cover", ""]


def test_refuse_policy_refuses_a_feature_never_missing_in_the_reference(refusing_server):
    records = _records(2)
    records[1]["wind speed"] = None  # the schema lets a null through for a float
    response = _post(refusing_server, records, "missing-2")
    assert response.status_code == 422, response.text
    reason = error_message(response.json())
    assert "record 1: wind speed (missing, and never missing in the reference)" in reason


def test_the_log_is_read_as_before_and_the_check_can_be_redone_from_it(logging_server, package):
    _post(logging_server, _far(_records()), "again-1")
    log = read_log(logging_server.log_db)
    inputs = logged_inputs(log)
    assert list(inputs.columns) == ["timestamp", "wind speed", "sky cover", "n stations"]
    issues = quality_issues(inputs, read_profile(package))
    assert [",".join(row) for row in issues] == log["quality"].tolist()


def test_every_answer_names_the_served_version(logging_server, version):
    bad_request = _post(logging_server, [{"wind speed": "fast"}], "bad-1")
    assert bad_request.status_code == 400
    not_json = requests.post(f"{logging_server.url}/predict", data="x", timeout=10)
    assert not_json.status_code == 415
    metadata = requests.get(f"{logging_server.url}/metadata", timeout=10)
    for response in (bad_request, not_json, metadata):
        assert response.headers["X-Model-Version"] == version


def test_refuse_policy_answers_422_naming_the_feature_and_logs_nothing(refusing_server, version):
    response = _post(refusing_server, _far(_records()), "refused-1")
    assert response.status_code == 422, response.text
    reason = error_message(response.json())
    assert "PRODML_QUALITY=refuse" in reason
    assert "record 1: wind speed (2000.0 is outside the reference range [" in reason
    assert response.headers["X-Model-Version"] == version
    assert not read_log(refusing_server.log_db)["request_id"].eq("refused-1").any()


def test_refuse_policy_answers_clean_requests_of_the_same_batch(refusing_server):
    from concurrent.futures import ThreadPoolExecutor

    bodies = {f"batch-{i}": _records() for i in range(8)}
    bodies["batch-3"] = _far(bodies["batch-3"], position=2)
    with ThreadPoolExecutor(8) as pool:
        answers = pool.map(lambda i: _post(refusing_server, bodies[i], i).status_code, bodies)
        statuses = dict(zip(bodies, answers, strict=True))
    assert statuses.pop("batch-3") == 422
    assert set(statuses.values()) == {200}
    logged = read_log(refusing_server.log_db)
    assert set(logged["request_id"]) >= set(statuses) and "batch-3" not in set(logged["request_id"])


def test_serve_refuses_an_unknown_policy_before_starting(package, tmp_path):
    with pytest.raises(RolloutConfigError, match="PRODML_QUALITY='strict' is not a policy"):
        serve(package, log_db=tmp_path / "log.sqlite", quality="strict")


def test_the_server_refuses_to_start_with_an_unknown_policy(course_packages, tmp_path):
    server = ModelServer(  # ONNX: the server fails sooner, without importing skops
        model_dir=course_packages("onnx"), log_db=tmp_path / "log.sqlite", host="127.0.0.1",
        port=free_port("127.0.0.1"), workers=1, batching=True, grace=5,
        settings={"PRODML_QUALITY": "strict"},
    )  # fmt: skip
    with pytest.raises(ServerStartError) as error:
        server.wait_until_ready(120)
    [line] = [x for x in str(error.value).splitlines() if x.startswith("prodml-workshop:")]
    assert line.startswith("prodml-workshop: PRODML_QUALITY='strict' is not a policy: set 'log'")


def test_the_refusing_policy_needs_a_reference_profile(course_packages, tmp_path):
    with pytest.raises(ServerStartError) as error:
        serve(
            course_packages("onnx"), log_db=tmp_path / "log.sqlite", quality="refuse", timeout=120
        )
    [line] = [x for x in str(error.value).splitlines() if x.startswith("prodml-workshop:")]
    assert line.startswith("prodml-workshop: PRODML_QUALITY=refuse, but the served model (")
    assert line.endswith("has no reference profile to check records against, so it would "
                         "refuse nothing. Store one with save_reference(package, X_train), or "
                         "serve with PRODML_QUALITY=log.")  # fmt: skip


def test_a_profile_edited_by_hand_is_not_served(package, tmp_path):
    edited = shutil.copytree(package, tmp_path / "edited")
    profile = json.loads((edited / "reference_profile.json").read_text())
    profile["features"]["wind speed"]["max"] = 1e9  # would let a °F feed through
    (edited / "reference_profile.json").write_text(json.dumps(profile))
    with pytest.raises(ServerStartError) as error:
        serve(edited, log_db=tmp_path / "log.sqlite", timeout=120)
    [line] = [x for x in str(error.value).splitlines() if x.startswith("prodml-workshop:")]
    assert line.startswith(f"prodml-workshop: cannot serve {edited}: ChecksumMismatchError: ")
    assert "'reference_profile.json'" in line
    assert line.endswith("run save_reference(package, X) again.")
