"""The scaling questions against right answers, wrong answers and blanks.

q2 starts a real server per check (stopped at its end), so each of its tests costs a few
seconds; the others need no server.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from question_checks import QuestionChecks

from prodml_workshop.exercises import PLACEHOLDER, Status
from prodml_workshop.exercises import scaling as ex
from prodml_workshop.packaging import load_model

pytestmark = pytest.mark.usefixtures("no_bentoml_left")


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


RUNS = 20


_checks = QuestionChecks(ex, runs=RUNS)
_question, _always, _message = _checks.question, _checks.always, _checks.message


def _smallest_batch_within(curve, factor):
    best = curve["us_per_row"].min()
    return curve.loc[curve["us_per_row"] <= factor * best, "batch_size"].min()  # numpy int


def _by_ratio(curve, factor):
    ratio = curve["us_per_row"] / curve["us_per_row"].min()
    return int(sorted(curve["batch_size"][ratio <= factor])[0])


def _walk_up(curve, factor):
    ordered = curve.sort_values("batch_size")
    best = ordered["us_per_row"].min()
    for size, cost in zip(ordered["batch_size"], ordered["us_per_row"], strict=True):
        if cost <= factor * best:
            return float(size)  # a whole float is accepted
    return None


@pytest.mark.parametrize("answer", [_smallest_batch_within, _by_ratio, _walk_up])
def test_q1_accepts_the_smallest_batch_within_the_factor(answer):
    _always(Status.PASS, 1, smallest_batch_within=answer)


def _assumes_sorted(curve, factor):
    curve = curve.sort_values("batch_size")
    best = curve["us_per_row"].iloc[-1]
    return int(curve.loc[curve["us_per_row"] <= factor * best, "batch_size"].min())


def _strict(curve, factor):
    best = curve["us_per_row"].min()
    within = curve.loc[curve["us_per_row"] < factor * best, "batch_size"]
    return (
        int(within.min())
        if len(within)
        else int(curve.loc[curve["us_per_row"].idxmin(), "batch_size"])
    )


def _additive(curve, factor):
    best = curve["us_per_row"].min()
    return int(curve.loc[curve["us_per_row"] <= best + factor, "batch_size"].min())


def _cheapest_first(curve, factor):
    best = curve["us_per_row"].min()
    within = curve[curve["us_per_row"] <= factor * best]
    return int(within.loc[within["us_per_row"].idxmin(), "batch_size"])  # ties: first row


def _first_row_within(curve, factor):
    best = curve["us_per_row"].min()
    return int(curve.loc[curve["us_per_row"] <= factor * best, "batch_size"].iloc[0])


def _without_the_largest(curve, factor):
    curve = curve[curve["batch_size"] < curve["batch_size"].max()]
    return _by_ratio(curve, factor)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_assumes_sorted, ""),
        (lambda curve, factor: int(curve["batch_size"].max()), ""),
        (_strict, "exactly `factor` times"),
        (_additive, ""),
        (_cheapest_first, "smaller batch"),
        (_first_row_within, ""),
        (lambda curve, factor: str(_smallest_batch_within(curve, factor)), "whole number"),
    ],
)
def test_q1_refuses_the_wrong_choices_every_time(answer, says):
    _always(Status.FAIL, 1, smallest_batch_within=answer)
    assert says in _message(1, smallest_batch_within=answer)


def test_q1_refuses_dropping_the_largest_batch_at_every_check():
    _checks.refused_every_time(
        1, "without its largest batch size", smallest_batch_within=_without_the_largest
    )


def test_q1_says_when_the_factor_was_added():
    from prodml_workshop.exercises.scaling import _tied_curve

    question = _question(1, smallest_batch_within=_additive)
    curve = _tied_curve(np.random.default_rng(0))
    curve["us_per_row"] *= 0.5 / curve["us_per_row"].min()  # best 0.5: best + 1.5 takes more
    with pytest.raises(AssertionError, match="not added"):
        question.compare(_additive(curve, 1.5), question.reference(curve, 1.5), "q")


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
    assert "batchable is false" in result.message


@pytest.mark.server  # the stub is found in the log of a server start
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
    from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
    from prodml_workshop.penguin_model import penguin_pipeline

    penguins = load_penguins()  # the course's penguin model, trained in the student's process
    course = penguin_pipeline().fit(penguins[PENGUIN_FEATURES], penguins["species"])

    def with_the_course_model(path, model_dir):
        return course.predict(pd.read_parquet(path)).tolist()

    def with_the_rows(path, model_dir):
        frame = pd.read_parquet(path)
        return frame.assign(prediction=load_model(model_dir).predict(frame))

    wrong = _question(3, score_partition=with_the_course_model).evaluate()
    assert wrong.status is Status.FAIL and "a model you have not seen" in wrong.message
    frame = _question(3, score_partition=with_the_rows).evaluate()
    assert frame.status is Status.FAIL and "DataFrame" in frame.message


def test_q3_refuses_a_task_that_writes_into_its_partition():
    def writes_back(path, model_dir):
        frame = pd.read_parquet(path)
        predictions = load_model(model_dir).predict(frame)
        frame.assign(prediction=predictions).to_parquet(path)
        return predictions

    result = _question(3, score_partition=writes_back).evaluate()
    assert result.status is Status.FAIL and "changed the partition" in result.message


def test_q3_blank_is_not_attempted(monkeypatch):
    import prodml_workshop.packaging
    import prodml_workshop.props.scaling

    made, paths = [], []
    # What the check imports when it runs, to write its partitions and save its model.
    for module, name in ((prodml_workshop.props.scaling, "make_scoring_dataset"),
                         (prodml_workshop.packaging, "save_model")):  # fmt: skip
        monkeypatch.setattr(module, name, _spy(getattr(module, name), name, made))

    def stub(path, model_dir):
        paths.append(path)
        raise NotImplementedError("your code here")

    for answer in (PLACEHOLDER, stub):
        assert _question(3, score_partition=answer).evaluate().status is Status.NOT_ATTEMPTED
    assert made == []  # before a partition is written or a model saved
    [path] = paths  # the stub was called once, on a partition that does not exist
    assert not Path(path).exists()


def _spy(function, name, calls):
    def spy(*args, **kwargs):
        calls.append(name)
        return function(*args, **kwargs)

    return spy


# --- q4: capacity from a load test -------------------------------------------------------------


def test_made_up_load_tests_can_dip_past_saturation():
    stats = ex.made_up_load_test(np.random.default_rng(3), dip=True).sort_values("users")
    clean = stats[stats["failures"] == 0]
    peak = int(np.argmax(clean["rps"]))
    assert 0 < peak < len(clean) - 2
    assert clean["rps"].iloc[peak:].is_monotonic_decreasing
    assert clean["p95_ms"].is_monotonic_increasing


def test_made_up_load_tests_saturate_and_shed_load():
    stats = ex.made_up_load_test(np.random.default_rng(3)).sort_values("users")
    clean = stats[stats["failures"] == 0]
    assert clean["rps"].is_monotonic_increasing and clean["p95_ms"].is_monotonic_increasing
    top = stats.iloc[-1]
    assert top["failures"] > 0 and top["rps"] == stats["rps"].max()
    assert top["p95_ms"] <= clean["p95_ms"].min()


def _capacity(stats, slo_ms):
    good = stats[(stats["p95_ms"] <= slo_ms) & (stats["failures"] == 0)]
    return None if good.empty else good["rps"].max()


def _capacity_loop(stats, slo_ms):
    best = None
    for row in stats.itertuples():
        if row.failures == 0 and row.p95_ms <= slo_ms and (best is None or row.rps > best):
            best = float(row.rps)
    return best


@pytest.mark.parametrize("answer", [_capacity, _capacity_loop])
def test_q4_accepts_the_capacity_written_any_way(answer):
    _always(Status.PASS, 4, capacity_rps=answer)


def _by_median(stats, slo_ms):
    good = stats[(stats["p50_ms"] <= slo_ms) & (stats["failures"] == 0)]
    return None if good.empty else good["rps"].max()


def _with_failures(stats, slo_ms):
    good = stats[stats["p95_ms"] <= slo_ms]
    return None if good.empty else good["rps"].max()


def _strict_slo(stats, slo_ms):
    good = stats[(stats["p95_ms"] < slo_ms) & (stats["failures"] == 0)]
    return None if good.empty else good["rps"].max()


def _last_stage_by_users(stats, slo_ms):
    good = stats[(stats["p95_ms"] <= slo_ms) & (stats["failures"] == 0)].sort_values("users")
    return None if good.empty else float(good["rps"].iloc[-1])


def _last_in_order(stats, slo_ms):
    good = stats[(stats["p95_ms"] <= slo_ms) & (stats["failures"] == 0)]
    return None if good.empty else good["rps"].iloc[-1]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_by_median, "median is within"),
        (_with_failures, "failed requests"),
        (_strict_slo, ""),
        (_last_in_order, ""),
        (lambda stats, slo_ms: stats["rps"].max(), ""),
        (lambda stats, slo_ms: _capacity(stats, slo_ms) or 0.0, ""),
        (lambda stats, slo_ms: str(_capacity(stats, slo_ms)), ""),
    ],
)
def test_q4_refuses_misread_load_tests_every_time(answer, says):
    _always(Status.FAIL, 4, capacity_rps=answer)
    assert says in _message(4, capacity_rps=answer)


def test_q4_refuses_the_last_stage_by_users_at_every_check():
    _checks.refused_every_time(
        4, "throughput can fall as users grow", capacity_rps=_last_stage_by_users
    )


# --- q5: think about it ---------------------------------------------------------------------


def test_q5_is_recorded_for_review():
    assert _question(5, replicas_and_batching="smaller").evaluate().status is Status.NOT_ATTEMPTED
    answered = _question(5, replicas_and_batching="each replica batches fewer requests then")
    assert answered.evaluate().status is Status.REVIEW
