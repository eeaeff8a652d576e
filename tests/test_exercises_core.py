"""The checker's building blocks: comparisons, statuses, hints and solutions."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.exercises.core import (
    PLACEHOLDER,
    FunctionQuestion,
    Incorrect,
    QuestionSet,
    Status,
    ThoughtQuestion,
    ValueQuestion,
    assert_close,
    report,
)


class Answer(ValueQuestion):
    variables = ("answer",)
    hints = ("first hint", "second hint")

    def expected(self):
        return 42


class Square(FunctionQuestion):
    variables = ("square",)

    def cases(self):
        return [(2,), (-3,), (np.random.default_rng().integers(10, 100),)]

    def reference(self, x):
        return x * x


class Essay(ThoughtQuestion):
    variables = ("essay",)


def _bind(**namespace):
    return QuestionSet("no_such_notebook", [Answer, Square, Essay]).bind(namespace)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (0.1 + 0.2, 0.3),
        (np.int64(3), 3),
        ([1.0, None, "a"], [1.0, None, "a"]),
        ({"a": [1, 2]}, {"a": (1, 2)}),
        (np.array([1.0, 2.0]), [1.0, 2.0]),
        (math.nan, math.nan),
    ],
)
def test_assert_close_accepts_equal_values_of_any_compatible_type(actual, expected):
    assert_close(actual, expected)


@pytest.mark.parametrize(
    ("actual", "expected", "message"),
    [
        (3.1, 3.0, "is 3.1, expected 3.0"),
        ("3", 3, "should be a number"),
        (True, 1, "should be a number"),
        ([1, 2], [1, 2, 3], "has 2 items, expected 3"),
        ({"a": 1}, {"b": 1}, "wrong keys"),
        (math.nan, None, "expected None"),
    ],
)
def test_assert_close_names_the_difference(actual, expected, message):
    with pytest.raises(Incorrect, match=message):
        assert_close(actual, expected)


def test_assert_close_compares_dataframes_with_tolerance():
    df = pd.DataFrame({"x": [1.0, 2.0]})
    assert_close(df + 1e-9, df)
    with pytest.raises(Incorrect, match="differs"):
        assert_close(df + 1, df)


def test_blank_answers_are_not_attempted_and_define_the_placeholder():
    namespace = {}
    q1, q2, q3 = QuestionSet("x", [Answer, Square, Essay]).bind(namespace)
    assert namespace["____"] is PLACEHOLDER
    namespace.update(answer=PLACEHOLDER)
    for q in (q1, q2, q3):
        assert q.evaluate().status is Status.NOT_ATTEMPTED


def test_value_question_passes_right_and_fails_wrong_answers():
    (q1, *_) = _bind(answer=42.0)
    assert q1.evaluate().status is Status.PASS
    (q1, *_) = _bind(answer=41)
    result = q1.evaluate()
    assert result.status is Status.FAIL
    # A single-value question never gives its answer away: it says how the value is wrong.
    assert "`answer` is 41: too low" in result.message and "42" not in result.message


def test_function_question_runs_the_function_and_reports_the_failing_case():
    _, q2, _ = _bind(square=lambda x: x**2)
    assert q2.evaluate().status is Status.PASS
    _, q2, _ = _bind(square=lambda x: 2 * x)
    result = q2.evaluate()
    assert result.status is Status.FAIL and "`square(-3)` is -6, expected 9" in result.message


def test_function_question_treats_the_stub_as_not_attempted_and_errors_as_wrong():
    def stub(x):
        raise NotImplementedError("your code here")

    def broken(x):
        return x / 0

    _, q2, _ = _bind(square=stub)
    assert q2.evaluate().status is Status.NOT_ATTEMPTED
    _, q2, _ = _bind(square=broken)
    result = q2.evaluate()
    assert result.status is Status.FAIL and "ZeroDivisionError" in result.message
    _, q2, _ = _bind(square=3)
    assert "should be a function" in q2.evaluate().message


def test_thought_question_needs_a_written_answer_and_records_it_for_review():
    *_, q3 = _bind(essay="yes")
    assert q3.evaluate().status is Status.NOT_ATTEMPTED
    *_, q3 = _bind(essay="asdf asdf asdf asdf asdf asdf")
    assert q3.evaluate().status is Status.NOT_ATTEMPTED
    *_, q3 = _bind(essay="Because the data changes after the model ships.")
    result = q3.evaluate()
    assert result.status is Status.REVIEW  # never a pass: a person reads it
    assert "compare with the model answer" in result.message
    assert result.answer == "Because the data changes after the model ships."


def test_check_never_raises_and_prints_the_verdict_outside_ipython(capsys):
    q1, q2, _ = _bind(answer=PLACEHOLDER, square=lambda x: 1 / 0)
    q1.check()
    q2.check()
    out = capsys.readouterr().out
    assert "q1: Not attempted yet" in out and "q2: Incorrect" in out


def test_hints_come_one_at_a_time_then_the_last_repeats(capsys):
    q1, *_ = _bind(answer=1)
    for _ in range(3):
        q1.hint()
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "q1 hint 1 of 2: first hint",
        "q1 hint 2 of 2: second hint",
        "q1 hint 2 of 2: second hint",
    ]


def test_solution_shows_the_recorded_code(capsys, root):
    from prodml_workshop.exercises import warmup

    recorded = json.loads(
        (root / "prodml_workshop" / "exercises" / "solutions" / "00_warmup.json").read_text()
    )
    q1, *_ = warmup.bind({})
    q1.solution()
    assert recorded["q1"].splitlines()[0] in capsys.readouterr().out


def test_report_lists_the_bound_questions_with_their_status():
    namespace = {"answer": 42, "square": PLACEHOLDER, "essay": ""}
    QuestionSet("no_such_notebook", [Answer, Square, Essay]).bind(namespace)
    rows = {r["question"]: r["status"] for r in report(namespace)}
    assert rows["q1"] == "pass" and rows["q2"] == "not attempted"
