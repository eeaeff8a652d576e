"""A second model in the service: a shadow that scores every request, a canary that answers some.

Unit tests of the routing and the settings first; then one real server per mode. The shadow
server serves the course model with a shadow that has no imputer (it fails on a missing
value, which the served model answers). The canary server serves a regression forest with
spaces in its feature names; its canary predicts a constant, so an answer shows which model
gave it.
"""

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import requests
from pydantic import TypeAdapter
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeRegressor

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import load_model, read_manifest, save_model
from prodml_workshop.serving import (
    PredictionLog,
    ServerStartError,
    model_version,
    read_log,
    serve,
    to_records,
)
from prodml_workshop.serving.predictor import BatchPredictor, Scorer
from prodml_workshop.serving.rollout import (
    Rollout,
    RolloutConfigError,
    VersionRouter,
    canary_bucket,
    rollout_env,
    rollout_from_env,
)
from prodml_workshop.serving.validation import REQUEST_ID, record_model, records_type

CANARY_SHARE = 0.3
CANARY_VALUE = -1.0


# --- Routing and settings, in process --------------------------------------------------------


def test_canary_bucket_is_a_fixed_sha256_fraction_not_pythons_salted_hash():
    assert canary_bucket("user-42") == pytest.approx(0.42787615301358, abs=1e-12)
    assert canary_bucket("2014-07-01") == canary_bucket("2014-07-01")
    assert 0 <= canary_bucket("") < 1


def test_router_sends_about_the_share_of_ids_to_the_canary():
    router = VersionRouter("v1", "v2", share=CANARY_SHARE)
    routed = [router.version(f"id-{i}") for i in range(20_000)]
    share = routed.count("v2") / len(routed)
    assert abs(share - CANARY_SHARE) < 0.015  # 4.6 standard deviations of a fair split
    assert all(router.version(f"id-{i}") == routed[i] for i in range(0, 20_000, 97))
    assert {VersionRouter("v1", "v2", share=0).version(f"{i}") for i in range(500)} == {"v1"}
    assert {VersionRouter("v1", "v2", share=1).version(f"{i}") for i in range(500)} == {"v2"}
    assert VersionRouter("v1", share=1).version("x") == "v1"  # no canary


def test_settings_default_to_logging_without_a_second_model():
    assert rollout_from_env({}) == Rollout()
    assert rollout_from_env({"PRODML_QUALITY": "", "PRODML_CANARY_SHARE": ""}) == Rollout()
    assert rollout_from_env({"PRODML_SHADOW_DIR": "v2"}).mode == "shadow"


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"PRODML_QUALITY": "warn"}, "PRODML_QUALITY='warn' is not a policy"),
        ({"PRODML_SHADOW_DIR": "a", "PRODML_CANARY_DIR": "b"}, "holds one second model"),
        ({"PRODML_CANARY_DIR": "b"}, "without PRODML_CANARY_SHARE"),
        ({"PRODML_CANARY_SHARE": "0.2"}, "PRODML_CANARY_DIR is not"),
        ({"PRODML_CANARY_DIR": "b", "PRODML_CANARY_SHARE": "30%"}, "'30%' is not a share"),
        ({"PRODML_CANARY_DIR": "b", "PRODML_CANARY_SHARE": "1.5"}, "from 0 to 1"),
        ({"PRODML_CANARY_DIR": "b", "PRODML_CANARY_SHARE": "nan"}, "from 0 to 1"),
    ],
)
def test_settings_refuse_what_the_service_cannot_use_naming_the_variable(env, reason):
    with pytest.raises(RolloutConfigError, match=reason) as error:
        rollout_from_env(env)
    assert isinstance(error.value, ValueError)


def test_rollout_env_sets_every_variable_so_none_is_inherited(tmp_path):
    env = rollout_env(canary=tmp_path, canary_share=0.25)
    assert env == {
        "PRODML_QUALITY": "log",
        "PRODML_SHADOW_DIR": "",
        "PRODML_CANARY_DIR": str(tmp_path.resolve()),
        "PRODML_CANARY_SHARE": "0.25",
    }


# --- The course model, and a shadow without an imputer ---------------------------------------


@pytest.fixture(scope="module")
def strict_package(tmp_path_factory):
    """A penguin classifier with no imputer: it fails on a missing number."""
    penguins = load_penguins().dropna()
    X = penguins[PENGUIN_FEATURES]
    numbers = [c for c in PENGUIN_FEATURES if X[c].dtype.kind == "f"]
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["island", "sex"]), (StandardScaler(), numbers)
    )  # a scaler lets NaN through; the regression fails on it
    model = make_pipeline(encode, LogisticRegression(max_iter=1000)).fit(X, penguins["species"])
    folder = tmp_path_factory.mktemp("strict") / "strict"
    return save_model(model, folder, format="skops", sample_input=X.head())


def _request(manifest, request_id, rows):
    token = REQUEST_ID.set(request_id)
    try:
        return TypeAdapter(records_type(record_model(manifest))).validate_python(rows)
    finally:
        REQUEST_ID.reset(token)


def test_a_failing_shadow_leaves_the_answers_alone_in_process(
    course_package, strict_package, penguin_inputs, log_db
):
    served, shadow = load_model(course_package), load_model(strict_package)
    log = PredictionLog(log_db)
    predictor = BatchPredictor(Scorer(served), log, second=Scorer(shadow), mode="shadow")
    rows = to_records(penguin_inputs.iloc[[0, 3]])  # the second has missing values
    records = _request(served.manifest, "r1", rows[:1]) + _request(served.manifest, "r2", rows[1:])
    assert predictor.run("predict", records) == served.predict(penguin_inputs.iloc[[0, 3]]).tolist()
    logged = read_log(log_db)
    assert logged[["request_id", "role"]].values.tolist() == [
        ["r1", "served"], ["r2", "served"], ["r1", "shadow"],
    ]  # fmt: skip
    log.close()


def test_a_second_model_needs_its_mode(course_package, tmp_path):
    model = load_model(course_package)
    with pytest.raises(ValueError, match="mode='shadow' or 'canary'"):
        BatchPredictor(model, PredictionLog(tmp_path / "log.sqlite"), second=Scorer(model))


@pytest.fixture(scope="module")
def shadow_server(course_package, strict_package, tmp_path_factory):
    log_db = tmp_path_factory.mktemp("log") / "log.sqlite"
    with serve(course_package, shadow=strict_package, log_db=log_db, timeout=120) as running:
        yield running


def _post(server, records, request_id=None, endpoint="predict"):
    headers = {"X-Request-ID": request_id} if request_id else {}
    return requests.post(f"{server.url}/{endpoint}", json={"records": records},
                         headers=headers, timeout=30)  # fmt: skip


@pytest.mark.server
def test_shadow_answers_and_version_are_the_served_models_and_both_are_logged(
    shadow_server, course_package, strict_package, penguin_inputs
):
    served, shadow = load_model(course_package), load_model(strict_package)
    batch = penguin_inputs.dropna().sample(30, random_state=1)
    ids = [f"shadow-{i}" for i in range(10)]
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(
            lambda i: _post(shadow_server, to_records(batch.iloc[3 * i : 3 * i + 3]), ids[i]),
            range(10),
        ))  # fmt: skip
    served_version = model_version(served.manifest)
    for i, response in enumerate(answers):
        assert response.status_code == 200, response.text
        assert response.json() == served.predict(batch.iloc[3 * i : 3 * i + 3]).tolist()
        assert response.headers["X-Model-Version"] == served_version
    log = read_log(shadow_server.log_db)
    log = log[log["request_id"].isin(ids)]
    by_role = {role: rows.sort_values(["request_id", "id"]) for role, rows in
               log.assign(id=log.index).groupby("role")}  # fmt: skip
    assert set(by_role) == {"served", "shadow"}
    assert set(by_role["served"]["model_version"]) == {served_version}
    assert set(by_role["shadow"]["model_version"]) == {model_version(shadow.manifest)}
    for column in ("request_id", "inputs"):
        assert by_role["served"][column].tolist() == by_role["shadow"][column].tolist()
    inputs = pd.DataFrame(by_role["shadow"]["inputs"].tolist())
    assert by_role["shadow"]["outputs"].tolist() == shadow.predict(inputs).tolist()


@pytest.mark.server
def test_a_failing_shadow_never_fails_the_request(shadow_server, course_package, penguin_inputs):
    row = penguin_inputs.iloc[[3]]  # missing numbers: the shadow cannot predict
    assert row.isna().any(axis=None)
    response = _post(shadow_server, to_records(row), "shadow-fails")
    assert response.status_code == 200, response.text
    assert response.json() == load_model(course_package).predict(row).tolist()
    log = read_log(shadow_server.log_db)
    assert log.loc[log["request_id"] == "shadow-fails", "role"].tolist() == ["served"]
    assert "refused request shadow-fails" in shadow_server.logs()


@pytest.mark.server
def test_the_shadow_scores_probabilities_too(shadow_server, penguin_inputs):
    records = to_records(penguin_inputs.dropna().head(2))
    assert _post(shadow_server, records, "proba-1", "predict_proba").status_code == 200
    log = read_log(shadow_server.log_db)
    rows = log[log["request_id"] == "proba-1"]
    assert sorted(rows["role"]) == ["served", "served", "shadow", "shadow"]
    assert set(rows["endpoint"]) == {"predict_proba"}


@pytest.mark.server
def test_a_second_model_with_other_features_stops_the_server(course_packages, tmp_path):
    X = pd.DataFrame({"bill length": [1.0, 2.0, 3.0]})
    other = save_model(DecisionTreeRegressor().fit(X, [1, 2, 3]), tmp_path / "other",
                       format="onnx", sample_input=X)  # fmt: skip
    with pytest.raises(ServerStartError) as error:  # ONNX: no skops to import
        serve(course_packages("onnx"), shadow=other, log_db=tmp_path / "log.sqlite", timeout=120)
    [line] = [x for x in str(error.value).splitlines() if x.startswith("prodml-workshop:")]
    assert line.startswith(f"prodml-workshop: cannot serve {other} as the shadow of ")
    assert "features [('bill length', 'float')] instead of" in line


# --- A canary: a regression forest, spaces in the names, and a constant model ---------------


@pytest.fixture(scope="module")
def forest_and_canary(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"wind speed": rng.uniform(0, 20, 200), "n stations": rng.integers(1, 6, 200)})
    y = X["wind speed"] * 3 + X["n stations"]
    folder = tmp_path_factory.mktemp("canary")
    forest = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    # A tree fitted on a constant target predicts it everywhere; unlike DummyRegressor, it
    # converts to ONNX, whose server starts in half the time of skops' (no skops to import).
    constant = DecisionTreeRegressor().fit(X, np.full(len(X), CANARY_VALUE))
    v1 = save_model(forest, folder / "wind forest", format="onnx", sample_input=X.head())
    v2 = save_model(constant, folder / "wind constant", format="onnx", sample_input=X.head())
    return v1, v2


@pytest.fixture(scope="module")
def canary_server(forest_and_canary, tmp_path_factory):
    v1, v2 = forest_and_canary
    log_db = tmp_path_factory.mktemp("log") / "log.sqlite"
    with serve(v1, canary=v2, canary_share=CANARY_SHARE, log_db=log_db, timeout=120) as running:
        yield running


@pytest.fixture(scope="module")
def versions(forest_and_canary):
    return [model_version(read_manifest(package)) for package in forest_and_canary]


RECORD = [{"wind speed": 4.5, "n stations": 2}]


def _answered_by(server, request_ids):
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda i: _post(server, RECORD, i), request_ids))
    assert {r.status_code for r in responses} == {200}
    return responses


@pytest.mark.server
def test_canary_answers_about_its_share_of_distinct_request_ids(canary_server, versions):
    ids = [f"client-{i}" for i in range(400)]
    responses = _answered_by(canary_server, ids)
    by_canary = {i for i, r in zip(ids, responses, strict=True)
                 if r.headers["X-Model-Version"] == versions[1]}  # fmt: skip
    # The ids are fixed, so the count is too: exactly the ids whose bucket is under the share.
    assert by_canary == {i for i in ids if canary_bucket(i) < CANARY_SHARE}
    sd = math.sqrt(CANARY_SHARE * (1 - CANARY_SHARE) / len(ids))
    assert abs(len(by_canary) / len(ids) - CANARY_SHARE) < 4 * sd
    for request_id, response in zip(ids, responses, strict=True):
        from_canary = response.json() == [CANARY_VALUE]
        assert from_canary == (request_id in by_canary)  # the header names who answered
        assert response.headers["X-Model-Version"] == versions[from_canary]
    log = read_log(canary_server.log_db)
    log = log[log["request_id"].isin(ids)]
    assert set(log.loc[log["model_version"] == versions[1], "request_id"]) == by_canary
    assert set(log["role"]) == {"served"} and len(log) == len(ids)


@pytest.mark.server
def test_the_same_request_id_always_gets_the_same_version(canary_server, versions):
    ids = [f"user-{i}" for i in range(30)] * 3
    responses = _answered_by(canary_server, ids)
    seen = {}
    for request_id, response in zip(ids, responses, strict=True):
        version = response.headers["X-Model-Version"]
        assert seen.setdefault(request_id, version) == version
    assert set(seen.values()) == set(versions)


@pytest.mark.server
def test_requests_without_an_id_are_split_at_random(canary_server, versions):
    responses = _answered_by(canary_server, [None] * 60)
    answered = [r.headers["X-Model-Version"] for r in responses]
    assert set(answered) == set(versions)  # P(one side never chosen) < 1e-9
    for response, version in zip(responses, answered, strict=True):
        assert (response.json() == [CANARY_VALUE]) == (version == versions[1])


@pytest.mark.server
def test_errors_of_a_canary_service_name_the_served_version(canary_server, versions):
    response = _post(canary_server, [{"wind speed": 1.0}], "client-1")
    assert response.status_code == 400
    assert response.headers["X-Model-Version"] == versions[0]
