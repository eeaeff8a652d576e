"""The scaling questions against right answers, wrong answers and blanks.

q2 starts a real server per check (stopped at its end), so each of its tests costs a few
seconds; the others need no server.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.exercises import PLACEHOLDER, Status
from prodml_workshop.exercises import scaling as ex
from prodml_workshop.packaging import load_model

pytestmark = pytest.mark.usefixtures("no_bentoml_left")


def _question(number: int, **answers):
    return ex.bind(dict(answers))[number - 1]


def test_the_notebook_tries_a_service_file_with_the_helper_of_session_2():
    from prodml_workshop.exercises import serving, student_service

    assert ex.serve_service_file is student_service.serve_service_file
    assert serving.serve_service_file is student_service.serve_service_file


# --- q1: choose a batch size ----------------------------------------------------------------


def test_made_up_curves_are_shuffled_and_decreasing_at_first():
    curve = ex.made_up_curve(np.random.default_rng(1))
    ordered = curve.sort_values("batch_size")
    assert list(curve.columns) == ["batch_size", "us_per_row"]
    assert ordered["us_per_row"].iloc[0] > 10 * ordered["us_per_row"].min()


def _smallest_batch_within(curve, factor):
    best = curve["us_per_row"].min()
    return curve.loc[curve["us_per_row"] <= factor * best, "batch_size"].min()  # numpy int


def test_q1_accepts_the_smallest_batch_within_the_factor():
    result = _question(1, smallest_batch_within=_smallest_batch_within).evaluate()
    assert result.status is Status.PASS, result.message


def test_q1_refuses_an_answer_that_takes_the_largest_batch_as_the_best():
    def assumes_sorted(curve, factor):
        curve = curve.sort_values("batch_size")
        best = curve["us_per_row"].iloc[-1]
        return int(curve.loc[curve["us_per_row"] <= factor * best, "batch_size"].min())

    def largest(curve, factor):
        return int(curve["batch_size"].max())

    for answer in (assumes_sorted, largest):
        result = _question(1, smallest_batch_within=answer).evaluate()
        assert result.status is Status.FAIL, answer
        assert "expected" in result.message


def test_q1_blank_is_not_attempted():
    def stub(curve, factor):
        raise NotImplementedError("your code here")

    for answer in (PLACEHOLDER, stub):
        result = _question(1, smallest_batch_within=answer).evaluate()
        assert result.status is Status.NOT_ATTEMPTED


# --- q2: batch a service --------------------------------------------------------------------

_SERVICE = """
import bentoml


@bentoml.service
class Squares:
    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    @bentoml.api
    def batch_sizes_seen(self) -> list[int]:
        return self.batch_sizes

{square}
"""


def _service(tmp_path, square: str):
    path = tmp_path / "squares.py"
    path.write_text(_SERVICE.format(square=textwrap.indent(textwrap.dedent(square), "    ")))
    return path


@pytest.mark.server
def test_q2_accepts_a_batchable_endpoint(tmp_path):
    path = _service(
        tmp_path,
        """
        @bentoml.api(batchable=True, max_batch_size=100, max_latency_ms=1000)
        def square(self, numbers: list[float]) -> list[float]:
            self.batch_sizes.append(len(numbers))
            return [x * x for x in numbers]
        """,
    )
    result = _question(2, service_file=path).evaluate()
    assert result.status is Status.PASS, result.message


@pytest.mark.server
def test_q2_refuses_an_endpoint_that_does_not_batch(tmp_path):
    path = _service(
        tmp_path,
        """
        @bentoml.api
        def square(self, numbers: list[float]) -> list[float]:
            self.batch_sizes.append(len(numbers))
            return [x * x for x in numbers]
        """,
    )
    result = _question(2, service_file=path).evaluate()
    assert result.status is Status.FAIL
    assert "batchable=True" in result.message


def test_q2_stub_is_not_attempted_and_a_missing_file_is_wrong(tmp_path):
    stub = _service(tmp_path, 'raise NotImplementedError("your code here")\n')
    assert _question(2, service_file=stub).evaluate().status is Status.NOT_ATTEMPTED
    assert _question(2, service_file=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
    missing = _question(2, service_file=tmp_path / "nope.py").evaluate()
    assert missing.status is Status.FAIL and "%%writefile" in missing.message


# --- q3: score a partition ------------------------------------------------------------------


def _score_partition(path, model_dir):
    return load_model(model_dir).predict(pd.read_parquet(path))


def test_q3_accepts_a_function_that_loads_the_given_package():
    result = _question(3, score_partition=_score_partition).evaluate()
    assert result.status is Status.PASS, result.message


def test_q3_refuses_the_course_model_and_a_dataframe():
    from prodml_workshop.serving import default_model_dir

    course = load_model(default_model_dir())

    def with_the_course_model(path, model_dir):
        return course.predict(pd.read_parquet(path)).tolist()

    def with_the_rows(path, model_dir):
        frame = pd.read_parquet(path)
        return frame.assign(prediction=load_model(model_dir).predict(frame))

    wrong = _question(3, score_partition=with_the_course_model).evaluate()
    assert wrong.status is Status.FAIL and "a model you have not seen" in wrong.message
    frame = _question(3, score_partition=with_the_rows).evaluate()
    assert frame.status is Status.FAIL and "DataFrame" in frame.message


def test_q3_blank_is_not_attempted():
    def stub(path, model_dir):
        raise NotImplementedError("your code here")

    for answer in (PLACEHOLDER, stub):
        assert _question(3, score_partition=answer).evaluate().status is Status.NOT_ATTEMPTED


# --- q4: think about it ---------------------------------------------------------------------


def test_q4_needs_a_sentence():
    assert _question(4, replicas_and_batching="smaller").evaluate().status is Status.NOT_ATTEMPTED
    answered = _question(4, replicas_and_batching="each replica batches fewer requests then")
    assert answered.evaluate().status is Status.PASS
