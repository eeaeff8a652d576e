"""The batching experiment: one BentoML worker, a batchable API and one left at the default.

The server serves a regressor on numeric columns with spaces in their names (not the course's
classifier), so that nothing in it leans on the penguins.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import psutil
import pytest
import requests
from sklearn.ensemble import RandomForestRegressor

from prodml_workshop.packaging import load_model, save_model
from prodml_workshop.props.scaling import records_per_call, serve_batching_demo
from prodml_workshop.scaling import load_test
from prodml_workshop.serving import to_records

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(1)
    return pd.DataFrame(rng.normal(size=(400, 3)), columns=["bill length", "flipper", "mass (g)"])


@pytest.fixture(scope="module")
def package(frame, tmp_path_factory):
    target = 3 * frame["bill length"] - frame["mass (g)"]
    model = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0).fit(frame, target)
    folder = tmp_path_factory.mktemp("forest") / "package"
    return save_model(model, folder, format="onnx", sample_input=frame.head())


@pytest.fixture(scope="module")
def server(package):
    with serve_batching_demo(package) as running:
        processes = [psutil.Process(running.pid), *running.worker_processes]
        yield running
    _, alive = psutil.wait_procs(processes, timeout=15)
    for process in alive:
        process.kill()
    assert not alive, "a process of the batching server outlived its with-block"


def _send_concurrently(url, bodies):
    def send(body):
        return requests.post(url, json=body, timeout=30)

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(send, bodies))


def test_batchable_api_merges_concurrent_requests_and_the_other_never_does(server, package, frame):
    bodies = [{"records": to_records(frame.iloc[i : i + 2])} for i in range(0, 160, 2)]
    expected = load_model(package).predict(frame.head(160))
    for api in ("predict", "predict_unbatched"):
        answers = _send_concurrently(f"{server.url}/{api}", bodies)
        assert {a.status_code for a in answers} == {200}
        # each request gets its own two predictions back, in order
        np.testing.assert_allclose(np.concatenate([a.json() for a in answers]), expected,
                                   rtol=1e-6)  # fmt: skip
    calls = server.calls()
    batched = [records for _, records in calls["predict"]]
    unbatched = [records for _, records in calls["predict_unbatched"]]
    assert sum(batched) == sum(unbatched) == 160  # every record predicted once
    assert max(batched) > 2  # concurrent requests shared a model call
    assert set(unbatched) == {2}  # one call per request, whatever the load


def test_one_user_is_never_batched_and_the_server_has_one_model_worker(server, frame):
    stats = load_test(server.url, users=1, duration=2, warmup=0.5, endpoint="/predict",
                      payload={"records": to_records(frame.head(1))}, server_pid=server.pid,
                      progress=False)  # fmt: skip
    assert stats["failures"].iloc[0] == 0 and stats["server_cpu_ms"].iloc[0] > 0
    [row] = records_per_call(server.calls()["predict"], stats).to_dict("records")
    assert row["calls"] > 10 and row["records"] == row["calls"] and row["max_records"] == 1
    [worker] = server.worker_processes  # one copy of the model
    assert worker.memory_info().rss > 50 * 2**20


def test_records_per_call_needs_the_spans_of_a_load_test():
    with pytest.raises(ValueError, match=r"measured_from/measured_to.*load_test"):
        records_per_call([(1.0, 1)], pd.DataFrame({"users": [1]}))


def test_two_workers_each_load_the_model_and_both_answer_requests(package, frame):
    bodies = [{"records": to_records(frame.iloc[i : i + 1])} for i in range(200)]
    with serve_batching_demo(package, workers=2) as running:
        workers = running.worker_processes
        before = [sum(worker.cpu_times()[:2]) for worker in workers]
        answers = _send_concurrently(f"{running.url}/predict_unbatched", bodies)
        after = [sum(worker.cpu_times()[:2]) for worker in workers]
    used = np.subtract(after, before)
    assert len(workers) == 2  # two processes, each with its copy of the model
    assert {answer.status_code for answer in answers} == {200}
    expected = load_model(package).predict(frame.head(200))
    np.testing.assert_allclose([a.json()[0] for a in answers], expected, rtol=1e-6)
    assert min(used) > 0  # both workers served some of the requests
