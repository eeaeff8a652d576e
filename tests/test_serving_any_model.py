"""The service serves the models students bring, not only the course's penguin pipeline.

Each case is a model family and format the course does not serve, on data it does not use:
a random forest (skops) with integer classes and column names with spaces, a gradient
boosting regressor (skops) fitted on a numpy array, PyTorch modules (safetensors from a
DataFrame, torch weights from a tensor, ONNX from an array: features x0, x1, ...), an ONNX
pipeline and a PMML decision tree. Each runs
on a real server (one at a time: the fixture is torn down before the next case starts), and
the server must answer exactly what the package answers in-process. Nothing here depends on
timing: the requests that must share a model call are all waiting in the server before it
handles the first (see :func:`_sent_while_the_server_waits`).
"""

import http.client
import json
import threading
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import psutil
import pytest
import requests
import torch
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from prodml_workshop.models import PenguinNet
from prodml_workshop.packaging import load_model, read_manifest, save_model
from prodml_workshop.serving import read_log, serve, to_records

pytestmark = pytest.mark.server

_RNG = np.random.default_rng(7)
_N = 150


def _numeric_frame():
    # Column names with spaces and brackets, as real exports have them.
    return pd.DataFrame(
        _RNG.normal(size=(_N, 3)) * [5.0, 10.0, 500.0] + [45.0, 200.0, 4000.0],
        columns=["bill length (mm)", "flipper length", "body mass g"],
    )


def _three_classes(X):
    score = X.iloc[:, 0].rank() + X.iloc[:, 2].rank()
    return pd.qcut(score, 3, labels=False).astype(int)  # integer classes 0, 1, 2


def _train(module, X, y, *, classification):
    torch.manual_seed(0)
    inputs = torch.tensor(StandardScaler().fit_transform(X), dtype=torch.float32)
    targets = torch.tensor(np.asarray(y), dtype=torch.long if classification else torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss() if classification else torch.nn.MSELoss()
    optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    for _ in range(60):
        optimizer.zero_grad()
        output = module(inputs)
        loss_fn(output if classification else output[:, 0], targets).backward()
        optimizer.step()
    return module


def _random_forest(folder):
    X = _numeric_frame()
    model = RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0)
    model.fit(X, _three_classes(X))
    return save_model(model, folder, format="skops", sample_input=X.head()), X


def _boosting_on_an_array(folder):
    X = _RNG.normal(size=(_N, 4))
    y = X @ [1.5, -2.0, 0.5, 3.0] + np.sin(X[:, 0])
    model = GradientBoostingRegressor(n_estimators=30, random_state=0).fit(X, y)
    return save_model(model, folder, format="skops", sample_input=X[:5]), X


def _torch_from_a_frame(folder):
    X = _numeric_frame()
    X = (X - X.mean()) / X.std()  # the module takes scaled features
    module = _train(PenguinNet(n_features=3, n_outputs=3, hidden=8), X, _three_classes(X),
                    classification=True)  # fmt: skip
    return save_model(
        module, folder, format="safetensors", sample_input=X.head(),
        init_kwargs={"n_features": 3, "n_outputs": 3, "hidden": 8},
    ), X  # fmt: skip


def _torch_regressor_from_a_tensor(folder):
    X = torch.randn(_N, 5, generator=torch.Generator().manual_seed(1))
    module = _train(PenguinNet(n_features=5, n_outputs=1), X, X.sum(dim=1), classification=False)
    return save_model(
        module, folder, format="torch", sample_input=X[:5],
        init_kwargs={"n_features": 5, "n_outputs": 1},
    ), X.numpy()  # fmt: skip


def _torch_exported_to_onnx(folder):
    X = _RNG.normal(size=(_N, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    module = _train(PenguinNet(n_features=4, n_outputs=3), X, y, classification=True)
    return save_model(
        module, folder, format="onnx", sample_input=X[:5],
        init_kwargs={"n_features": 4, "n_outputs": 3},
    ), X  # fmt: skip


def _onnx_pipeline(folder):
    X = _numeric_frame().assign(region=_RNG.choice(["north", "south", "east"], size=_N))
    y = np.where(X["region"] == "north", "cold", np.where(X["flipper length"] > 200, "warm", "hot"))
    model = make_pipeline(
        ColumnTransformer(
            [("region", OneHotEncoder(handle_unknown="ignore"), ["region"])],
            remainder=StandardScaler(),
        ),
        RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0),
    ).fit(X, y)
    return save_model(model, folder, format="onnx", sample_input=X.head()), X


def _pmml_tree(folder):
    X = _numeric_frame()
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, _three_classes(X))
    return save_model(model, folder, format="pmml", sample_input=X.head()), X


_CASES = {
    "random forest, skops, int classes, spaces in names": _random_forest,
    "gradient boosting regressor, skops, numpy array": _boosting_on_an_array,
    "torch classifier, safetensors, DataFrame": _torch_from_a_frame,
    "torch regressor, torch weights, tensor": _torch_regressor_from_a_tensor,
    "torch classifier exported to onnx, numpy array": _torch_exported_to_onnx,
    "onnx pipeline with a ColumnTransformer, string classes": _onnx_pipeline,
    "pmml decision tree": _pmml_tree,
}
#: The cases whose model raises on a missing value; the others predict on one (a random forest
#: and ONNX trees send it down a branch, a torch module answers a class or NaN).
_REFUSE_A_MISSING_VALUE = ["gradient boosting regressor, skops, numpy array", "pmml decision tree"]


@pytest.fixture(scope="module", params=list(_CASES))
def case(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models") / "package"
    package, X = _CASES[request.param](folder)
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X).rename(columns=lambda i: f"x{i}")
    log_db = tmp_path_factory.mktemp("log") / "predictions.sqlite"
    with serve(package, log_db=log_db, timeout=90) as server:
        yield server, load_model(package), frame


def _post(server, endpoint, records):
    response = requests.post(f"{server.url}/{endpoint}", json={"records": records}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _model_input(model, frame):
    # What the package was saved with: the DataFrame, or the array behind x0, x1, ...
    if model.manifest["input_schema"]["type"] == "ndarray":
        return frame.to_numpy(dtype=model.manifest["input_schema"]["dtype"])
    return frame


def test_predict_answers_what_the_package_answers_in_process(case):
    server, model, frame = case
    served = _post(server, "predict", to_records(frame))
    expected = model.predict(_model_input(model, frame)).tolist()
    if model.manifest["task"] == "regression":
        assert all(isinstance(value, float) for value in served)
        np.testing.assert_allclose(served, expected, rtol=1e-12)
    else:
        assert served == expected
        assert {type(label) for label in served} == {type(c) for c in model.classes_.tolist()}
        assert len(set(served)) > 1  # a real test: the model does not answer one class


def test_predict_proba_answers_the_package_probabilities(case):
    server, model, frame = case
    if not model.manifest["has_predict_proba"]:
        assert requests.post(f"{server.url}/predict_proba", json={}, timeout=10).status_code == 404
        return
    served = _post(server, "predict_proba", to_records(frame.head(40)))
    assert list(served[0]) == [str(c) for c in model.classes_.tolist()]
    table = np.array([list(row.values()) for row in served])
    expected = model.predict_proba(_model_input(model, frame.head(40)))
    np.testing.assert_allclose(table, expected, rtol=1e-6, atol=1e-9)


def test_the_openapi_page_and_metadata_name_the_package_features(case):
    server, model, frame = case
    spec = requests.get(f"{server.url}/docs.json", timeout=10).json()
    record = spec["components"]["schemas"]["InputRecord"]
    assert set(record["properties"]) == set(record["required"]) == set(frame.columns)
    assert requests.get(f"{server.url}/metadata", timeout=10).json() == read_manifest(model.path)


def test_a_record_without_a_feature_is_refused_naming_it(case):
    server, _, frame = case
    record = to_records(frame.head(1))[0]
    missing = frame.columns[-1]
    del record[missing]
    response = requests.post(f"{server.url}/predict", json={"records": [record]}, timeout=30)
    assert response.status_code == 400
    assert missing in response.text


def test_the_log_keeps_the_inputs_under_the_feature_names(case):
    server, _, frame = case
    _post(server, "predict", to_records(frame.tail(2)))
    logged = read_log(server.log_db)["inputs"].iloc[-2:].tolist()
    assert logged == to_records(frame.tail(2))


def _listens(process, port):
    try:
        return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port
                   for c in process.net_connections(kind="inet"))  # fmt: skip
    except psutil.Error:
        return False


def _sent_while_the_server_waits(server, endpoint, bodies, prefix):
    """POST every body at once, to a server paused until each request is in its socket.

    The processes that listen on the server's port are suspended while one thread per body
    sends it (request id ``<prefix>-<i>``), and resumed once every request is sent: the server
    then finds them all waiting. Adaptive batching runs one model call at a time and merges the
    requests that wait for it, so the requests share calls whatever the client threads' timing.
    Returns ``(status, JSON body)`` per request, in order.
    """
    listeners = [p for p in psutil.Process().children(recursive=True) if _listens(p, server.port)]
    assert listeners, "no process of this test listens on the server's port"
    sent, answers = threading.Semaphore(0), [None] * len(bodies)

    def post(i):
        connection = http.client.HTTPConnection(urlsplit(server.url).hostname, server.port,
                                                timeout=60)  # fmt: skip
        try:
            connection.request("POST", f"/{endpoint}", json.dumps({"records": bodies[i]}),
                               {"Content-Type": "application/json",
                                "X-Request-ID": f"{prefix}-{i}"})  # fmt: skip
        finally:
            sent.release()
        response = connection.getresponse()
        answers[i] = (response.status, json.loads(response.read()))
        connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for process in listeners:
        process.suspend()
    try:
        for thread in threads:
            thread.start()
        assert all(sent.acquire(timeout=60) for _ in threads), "a request was not sent"
    finally:
        for process in listeners:
            process.resume()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.mark.parametrize("case", _REFUSE_A_MISSING_VALUE, indirect=True)
def test_a_request_the_model_refuses_is_answered_422_alone_in_its_batch(case):
    server, model, frame = case
    bad = frame.head(2).copy()
    bad.iloc[0, 0] = np.nan  # the schema allows a missing value; these models refuse one
    with pytest.raises(Exception) as refusal:
        model.predict(_model_input(model, bad))
    reason = type(refusal.value).__name__
    good = [frame.iloc[i : i + 3] for i in range(0, 60, 3)]
    bodies = [to_records(batch) for batch in good]
    bodies.insert(len(bodies) // 2, to_records(bad))
    answers = _sent_while_the_server_waits(server, "predict", bodies, prefix="held")
    status, refused = answers.pop(len(bodies) // 2)
    assert status == 422, refused
    assert list(refused) == ["error"] and reason in refused["error"]
    for batch, (status, answer) in zip(good, answers, strict=True):
        assert status == 200, answer
        expected = model.predict(_model_input(model, batch)).tolist()
        assert answer == pytest.approx(expected, rel=1e-12)
    log = read_log(server.log_db)
    held = log[log["request_id"].str.startswith("held-")]
    assert f"held-{len(bodies) // 2}" not in set(held["request_id"])  # nothing logged for it
    assert (held.groupby("request_id").size() == 3).all() and len(held) == 3 * len(good)
    assert held["batch_size"].max() > 3  # requests were merged: a model call held several
