"""The bare Starlette app: the model's own predictions, and serve_bare leaves nothing behind."""

import psutil
import pytest
import requests

from prodml_workshop.packaging import load_model
from prodml_workshop.props.scaling import serve_bare
from prodml_workshop.serving import to_records

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def package(course_packages):
    return course_packages("onnx")


@pytest.fixture(scope="module")
def server(package):
    with serve_bare(package) as running:
        yield running


def _post(server, **kwargs):
    return requests.post(f"{server.url}/predict", timeout=10, **kwargs)


def test_bare_app_predicts_like_the_model_in_process_missing_values_included(
    server, package, penguin_inputs
):
    assert penguin_inputs.isna().any(axis=None)
    model = load_model(package)
    response = _post(server, json={"records": to_records(penguin_inputs)})
    assert response.status_code == 200, response.text
    assert response.json() == model.predict(penguin_inputs).tolist()
    one = _post(server, json={"records": to_records(penguin_inputs.head(1))[0]})
    assert one.json() == model.predict(penguin_inputs.head(1)).tolist()


def test_bare_app_answers_400_to_a_malformed_body(server):
    assert _post(server, json={"rows": []}).status_code == 400
    assert _post(server, data=b"not json").status_code == 400


def test_serve_bare_with_two_workers_serves_and_stops_every_process(
    package, penguin_inputs, assert_stopped
):
    with serve_bare(package, workers=2) as server:
        processes = psutil.Process(server._process.pid).children(recursive=True)
        assert sum("spawn_main" in " ".join(p.cmdline()) for p in processes) == 2
        body = {"records": to_records(penguin_inputs.head(5))}
        response = requests.post(f"{server.url}/predict", json=body, timeout=10)
        assert response.json() == load_model(package).predict(penguin_inputs.head(5)).tolist()
    assert not server.running
    assert_stopped(processes, server.port)


def test_serve_bare_raises_with_the_log_when_the_model_dir_is_wrong(tmp_path):
    with pytest.raises(RuntimeError, match="exited") as error:
        serve_bare(tmp_path / "no-such-model", timeout=60)
    assert "not a model package" in str(error.value)
