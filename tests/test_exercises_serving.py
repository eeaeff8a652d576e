"""The serving questions against right answers, wrong answers and blanks.

q1 and q3 start real servers (one per check, stopped at its end), so each of their tests costs
a few seconds; a blank must cost none. One q1 test lets the check start its own server; the
others share one module server through ``ex.q1_server()`` (the same check, the same model).
"""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pytest
import requests
from question_checks import QuestionChecks

from prodml_workshop.data import PENGUIN_FEATURES
from prodml_workshop.exercises import PLACEHOLDER, Status
from prodml_workshop.exercises import serving as ex
from prodml_workshop.serving import ServerStartError, read_log, to_records

pytestmark = pytest.mark.usefixtures("nothing_left_running")


@pytest.fixture
def nothing_left_running(bentoml_processes, assert_stopped):
    """After the test, no BentoML process it started is still running (the shared q1 server
    belongs to the module, and is checked when it stops)."""
    before = {process.pid for process in bentoml_processes()}
    yield
    assert_stopped([p for p in bentoml_processes() if p.pid not in before])


# --- The helpers ----------------------------------------------------------------------------


def test_field_notes_are_not_the_models_input():
    notes = ex.field_notes()
    assert list(notes.columns) == [
        "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_kg", "sex",
        "observer",
    ]  # fmt: skip
    assert notes["sex"].isna().sum() == 2 and notes["body_mass_kg"].isna().sum() == 1
    assert notes["body_mass_kg"].max() < 10  # kilograms


def test_slo_log_reads_like_a_served_one(tmp_path):
    rng = np.random.default_rng(0)
    path = ex.write_slo_log(tmp_path / "log.sqlite", rng, {"v1": (10.0, 1.0), "v2": (20.0, 2.0)})
    log = read_log(path)
    assert set(log["endpoint"]) == {"predict", "predict_proba"}
    assert set(log["model_version"]) == {"v1", "v2"}
    assert log.groupby("request_id")["latency_ms"].nunique().max() == 1  # one per request
    assert log.groupby("request_id").size().max() == 20
    assert list(log["inputs"].iloc[0]) == PENGUIN_FEATURES


@pytest.mark.server
def test_serve_service_file_serves_any_service_and_stops_it(
    tmp_path, bentoml_processes, assert_stopped
):
    service = tmp_path / "greeter.py"
    service.write_text(
        textwrap.dedent("""
            import bentoml

            @bentoml.service
            class Greeter:
                @bentoml.api
                def hello(self, name: str) -> str:
                    return f"Hello, {name}!"
        """)
    )
    with ex.serve_service_file(service) as url:
        servers = bentoml_processes()
        assert servers
        answer = requests.post(f"{url}/hello", json={"name": "Ada"}, timeout=10)
        assert answer.text == "Hello, Ada!"
    assert_stopped(servers)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/readyz", timeout=2)


@pytest.mark.server
def test_serve_service_file_raises_with_the_log_when_the_file_does_not_import(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import bentoml\nraise RuntimeError('this file is broken')\n")
    with pytest.raises(ServerStartError, match="this file is broken"):
        with ex.serve_service_file(broken):
            pass


# --- q1: call the service over HTTP ---------------------------------------------------------


def _over_http(url, records):
    response = requests.post(f"{url}/predict", json={"records": records}, timeout=30)
    response.raise_for_status()
    return response.json()


def _with_the_client(url, records):
    import bentoml

    with bentoml.SyncHTTPClient(url) as client:
        return client.predict(records=records)


@pytest.fixture(scope="module")
def q1_url(bentoml_processes, assert_stopped):
    """One q1 server for the module's q1 checks; it stops, leaving nothing, at the end."""
    with ex.q1_server() as url:
        servers = bentoml_processes()
        assert servers
        yield url
    assert_stopped(servers)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/readyz", timeout=2)


@pytest.mark.server
def test_q1_check_starts_its_own_server_and_stops_it(bentoml_processes):
    seen = []

    def answer(url, records):
        seen.append((url, bentoml_processes()))
        return _over_http(url, records)

    result = _question(1, predict_over_http=answer).evaluate()
    assert result.status is Status.PASS, result.message
    # The calls after the blank probe reach a real server, at one URL (2 batches, then the
    # refusal), stopped with the check (so not a shared one).
    served = [url for url, servers in seen if servers]
    assert len(served) == 3 and len(set(served)) == 1, seen
    url = served[0]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/readyz", timeout=2)


@pytest.mark.server
@pytest.mark.parametrize("answer", [_over_http, _with_the_client])
def test_q1_accepts_a_client_that_asks_the_server(answer, q1_url):
    urls = set()

    def recording(url, records):
        urls.add(url)
        return answer(url, records)

    result = _question(1, predict_over_http=recording).evaluate()
    assert result.status is Status.PASS, result.message
    # The check asked the shared server (the unreachable URL first, for a blank) and left it up.
    assert q1_url in urls
    assert requests.get(f"{q1_url}/readyz", timeout=10).status_code == 200


@pytest.mark.server
def test_q1_refuses_predictions_made_in_process(q1_url):
    from prodml_workshop.data import load_penguins
    from prodml_workshop.penguin_model import penguin_pipeline

    penguins = load_penguins()  # the course's penguin model, trained in the student's process
    model = penguin_pipeline().fit(penguins[PENGUIN_FEATURES], penguins["species"])

    def in_process(url, records):
        import pandas as pd

        return model.predict(pd.DataFrame(records)).tolist()

    result = _question(1, predict_over_http=in_process).evaluate()
    assert result.status is Status.FAIL
    assert "a model you have not seen" in result.message


@pytest.mark.server
def test_q1_refuses_a_client_that_returns_the_error_as_predictions(q1_url):
    def no_status_check(url, records):
        return requests.post(f"{url}/predict", json={"records": records}, timeout=30).json()

    result = _question(1, predict_over_http=no_status_check).evaluate()
    assert result.status is Status.FAIL
    assert "raise_for_status" in result.message


@pytest.mark.server
def test_q1_refuses_a_client_that_changes_its_records(q1_url):
    def reorders(url, records):
        records.reverse()  # in place: the caller's list is reversed too
        return _over_http(url, records)[::-1]

    result = _question(1, predict_over_http=reorders).evaluate()
    assert result.status is Status.FAIL and "changed its input" in result.message


@pytest.mark.server
def test_q1_explains_a_wrong_body(q1_url):
    def wrong_key(url, records):
        response = requests.post(f"{url}/predict", json={"rows": records}, timeout=30)
        response.raise_for_status()
        return response.json()

    result = _question(1, predict_over_http=wrong_key).evaluate()
    assert result.status is Status.FAIL
    assert "HTTPError" in result.message and "400" in result.message


def test_q1_blank_and_stub_are_not_attempted_without_starting_a_server(monkeypatch):
    started, urls = [], []
    for name in ("save_model", "serve"):  # what the check runs to serve its model
        monkeypatch.setattr(ex, name, _spy(getattr(ex, name), name, started))

    def stub(url, records):
        urls.append(url)
        raise NotImplementedError("your code here")

    assert _question(1, predict_over_http=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
    assert _question(1, predict_over_http=stub).evaluate().status is Status.NOT_ATTEMPTED
    assert started == []  # no model saved, no server started
    # The stub was called once, with a URL no server answers (not the module's q1 server's).
    [url] = urls
    with pytest.raises(requests.RequestException):
        requests.get(f"{url}/readyz", timeout=10)


def _spy(function, name, calls):
    def spy(*args, **kwargs):
        calls.append(name)
        return function(*args, **kwargs)

    return spy


# --- q2: a request body from the field notes ------------------------------------------------


def _right_body():
    notes = ex.field_notes()
    penguins = notes.drop(columns="observer").rename(columns={"body_mass_kg": "body_mass_g"})
    penguins["body_mass_g"] = penguins["body_mass_g"] * 1000
    return {"records": to_records(penguins[PENGUIN_FEATURES])}


def test_q2_accepts_the_body_as_text_or_dict():
    body = _right_body()
    assert _question(2, payload=json.dumps(body)).evaluate().status is Status.PASS
    assert _question(2, payload=body).evaluate().status is Status.PASS
    assert _question(2, payload=json.dumps(body, indent=2).encode()).evaluate().status is (
        Status.PASS
    )


def _body(**change):
    body = _right_body()
    for key, value in change.items():
        for record in body["records"]:
            if value is ...:
                record.pop(key)
            else:
                record[key] = value(record) if callable(value) else value
    return body


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (json.dumps(_body(body_mass_g=lambda r: r["body_mass_g"] and r["body_mass_g"] / 1000)),
         "in kilograms"),
        (_body(observer="KG"), "records.0.observer: Extra inputs are not permitted"),
        (_body(sex=...), "records.0.sex: Field required"),
        (_body(bill_length_mm=lambda r: math.nan if r["bill_length_mm"] is None
               else r["bill_length_mm"]), "NaN"),
        (json.dumps(_body(bill_length_mm=lambda r: math.nan if r["bill_length_mm"] is None
                          else r["bill_length_mm"])), "NaN"),
        (json.dumps(_body(flipper_length_mm=lambda r: str(r["flipper_length_mm"]))),
         "valid number"),
        (json.dumps(_right_body()["records"]), '"records" key'),
        (json.dumps({"records": _right_body()["records"][:3]}), "has 3 items, expected 4"),
        (json.dumps({"records": _right_body()["records"][::-1]}), "another order"),
        ("{'records': []}", "not valid JSON"),
        (42, "should be the JSON text"),
    ],
)  # fmt: skip
def test_q2_explains_what_the_server_would_refuse_or_get_wrong(payload, message):
    result = _question(2, payload=payload).evaluate()
    assert result.status is Status.FAIL
    assert message in result.message, result.message


def test_q2_blank_is_not_attempted():
    assert _question(2, payload=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED


# --- q3: an endpoint of your own ------------------------------------------------------------

_SERVICE = """
import bentoml


@bentoml.service
class Calculator:
    @bentoml.api
    def hello(self, name: str) -> str:
        return f"Hello, {{name}}!"

{square}
"""
_RIGHT = """
    @bentoml.api
    def square(self, numbers: list[float]) -> list[float]:
        return [x * x for x in numbers]
"""


def _service_file(tmp_path, square):
    path = tmp_path / "my_service.py"
    path.write_text(_SERVICE.format(square=square))
    return path


@pytest.mark.server
def test_q3_accepts_a_typed_square_endpoint(tmp_path):
    result = _question(3, service_file=_service_file(tmp_path, _RIGHT)).evaluate()
    assert result.status is Status.PASS, result.message


@pytest.mark.server
@pytest.mark.parametrize(
    ("square", "message"),
    [
        (_RIGHT.replace("x * x", "x + x"), "POST /square of"),
        (_RIGHT.replace("def square", "def squares"), "has no POST /square"),
        (_RIGHT.replace("list[float]", "list"), "type the parameter"),
        (_RIGHT.replace("return [", "return [undefined_name +"), "answered 500"),
        ("    syntax error here", "could not serve my_service.py"),
    ],
)
def test_q3_explains_what_is_wrong_with_the_service(tmp_path, square, message):
    result = _question(3, service_file=_service_file(tmp_path, square)).evaluate()
    assert result.status is Status.FAIL
    assert message in result.message, result.message


@pytest.mark.parametrize("number", [3])
def test_q3_says_so_when_given_the_code_instead_of_its_path(number):
    result = _question(number, service_file=_SERVICE.format(square=_RIGHT)).evaluate()
    assert result.status is Status.FAIL and "not its content" in result.message
    result = _question(number, service_file=3).evaluate()
    assert result.status is Status.FAIL and "path of the file" in result.message


def test_q2_says_so_when_given_a_file_name():
    result = _question(2, payload="payload.json").evaluate()
    assert result.status is Status.FAIL and "not the path of a file" in result.message


@pytest.mark.server  # the stub is found in the log of a server start
def test_q3_missing_file_is_incorrect_and_stub_not_attempted(tmp_path):
    result = _question(3, service_file=tmp_path / "nowhere.py").evaluate()
    assert result.status is Status.FAIL and "run the %%writefile cell" in result.message
    stub = '    # your code here\n    raise NotImplementedError("your code here")'
    result = _question(3, service_file=_service_file(tmp_path, stub)).evaluate()
    assert result.status is Status.NOT_ATTEMPTED, result.message


# --- q4: the latency objective per version ------------------------------------------------

# Each check already holds one log per wrong method, built so that the method errs on it: a
# wrong method is refused at every check, so a few runs show it; a right one is run more often.
RUNS = 6
REFUSAL_RUNS = 3


_checks = QuestionChecks(ex, runs=RUNS)
_question, _always = _checks.question, _checks.always


def _slo(log, slo_ms):
    requests_only = log.drop_duplicates("request_id")
    p95 = requests_only.groupby("model_version")["latency_ms"].quantile(0.95)
    return set(p95[p95 > slo_ms].index)


def _slo_numpy(log, slo_ms):
    breaking = set()
    for version, rows in log.groupby("model_version"):
        per_request = rows.groupby("request_id")["latency_ms"].first()
        if np.percentile(per_request, 95) > slo_ms:
            breaking.add(version)
    return breaking


@pytest.mark.parametrize(
    "answer",
    [
        _slo,
        _slo_numpy,
        lambda log, slo_ms: {
            v for v, lat in log.groupby("request_id").first().groupby("model_version")["latency_ms"]
            if lat.quantile(0.95, interpolation="higher") > slo_ms
        },
        lambda log, slo_ms: frozenset(_slo(log, slo_ms)),
    ],
)  # fmt: skip
def test_q4_accepts_the_request_percentile_written_any_way(answer):
    _always(Status.PASS, 4, versions_breaking_slo=answer)


def _by_rows(log, slo_ms):
    p95 = log.groupby("model_version")["latency_ms"].quantile(0.95)
    return set(p95[p95 > slo_ms].index)


def _by_mean(log, slo_ms):
    mean = log.drop_duplicates("request_id").groupby("model_version")["latency_ms"].mean()
    return set(mean[mean > slo_ms].index)


def _by_max(log, slo_ms):
    worst = log.groupby("model_version")["latency_ms"].max()
    return set(worst[worst > slo_ms].index)


def _pooled(log, slo_ms):
    if log.drop_duplicates("request_id")["latency_ms"].quantile(0.95) > slo_ms:
        return set(log["model_version"])
    return set()


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_by_rows, "over log rows"),
        (_by_mean, "the mean"),
        (_by_max, "gives the verdict of"),  # which may coincide with another method's
        (_pooled, "gives the verdict of"),
        (lambda log, slo_ms: sorted(_slo(log, slo_ms)), "should be a set"),
        (lambda log, slo_ms: set(), ""),
    ],
)
def test_q4_refuses_the_wrong_percentile_every_time(answer, says):
    _always(Status.FAIL, 4, REFUSAL_RUNS, versions_breaking_slo=answer)
    result = _question(4, versions_breaking_slo=answer).evaluate()
    assert says in result.message and len(result.message) < 300, result.message


def _at_or_above(log, slo_ms):
    p95 = log.drop_duplicates("request_id").groupby("model_version")["latency_ms"].quantile(0.95)
    return set(p95[p95 >= slo_ms].index)


def _by_median(log, slo_ms):
    median = log.drop_duplicates("request_id").groupby("model_version")["latency_ms"].median()
    return set(median[median > slo_ms].index)


def _predict_only(log, slo_ms):
    return _slo(log[log["endpoint"] == "predict"], slo_ms)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_at_or_above, "exactly at `slo_ms` meets the objective"),
        (_by_median, "the mean or the median"),
        (_predict_only, "gives the verdict of"),  # of `/predict` alone, or of another method
    ],
)
def test_q4_refuses_a_percentile_on_the_objective_and_a_median_at_every_check(answer, says):
    # each check holds the log that tells these apart (20 of 20 and 40 of 40 when measured)
    _checks.refused_every_time(4, says, REFUSAL_RUNS, versions_breaking_slo=answer)


def test_q4_refuses_an_answer_that_drops_rows_in_place():
    def in_place(log, slo_ms):
        log.drop_duplicates("request_id", inplace=True)
        return _slo(log, slo_ms)

    _always(Status.FAIL, 4, 3, versions_breaking_slo=in_place)


def test_q4_stub_is_not_attempted():
    def stub(log, slo_ms):
        raise NotImplementedError("your code here")

    assert _question(4, versions_breaking_slo=stub).evaluate().status is Status.NOT_ATTEMPTED


# --- q5: think about it ---------------------------------------------------------------------


def test_q5_wants_a_sentence():
    assert _question(5, log_columns_for=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
    answer = "The request id finds a user's prediction; the version says which model made it."
    assert _question(5, log_columns_for=answer).evaluate().status is Status.REVIEW
