"""The checker's building blocks: comparisons, statuses, hints and solutions."""

import copy
import json
import math
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.exercises import containment
from prodml_workshop.exercises.comparisons import unchanged
from prodml_workshop.exercises.core import (
    GRADE_LOG_ENV,
    PLACEHOLDER,
    TIME_LIMIT_ENV,
    FunctionQuestion,
    Incorrect,
    NotAttempted,
    QuestionSet,
    Status,
    ThoughtQuestion,
    ValueQuestion,
    assert_close,
    call_answer,
    report,
)
from prodml_workshop.serving import WatchedServer, serve


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


# --- Pristine inputs: the reference never sees what the student's code did -------------------


class FillMissing(FunctionQuestion):
    variables = ("fill",)

    def cases(self):
        yield (pd.DataFrame({"x": [1.0, None, 3.0], "name with space": ["a", None, "c"]}),)

    def reference(self, df):
        return df.fillna(0).to_dict("list")


def test_an_answer_that_changes_its_input_in_place_fails_and_the_reference_stays_right():
    def in_place(df):
        df.fillna(0, inplace=True)
        return df.to_dict("list")

    def on_a_copy(df):
        return df.fillna(0).to_dict("list")

    (q1,) = QuestionSet("x", [FillMissing]).bind({"fill": in_place})
    result = q1.evaluate()
    assert (
        result.status is Status.FAIL and "changed its input (argument 1) in place" in result.message
    )
    (q1,) = QuestionSet("x", [FillMissing]).bind({"fill": on_a_copy})
    assert q1.evaluate().status is Status.PASS


def test_the_reference_is_computed_before_the_answer_on_its_own_copy():
    seen = []

    class Record(FunctionQuestion):
        variables = ("f",)
        allow_mutation = True

        def cases(self):
            yield ([3, 1, 2],)

        def reference(self, values):
            seen.append(list(values))
            return sorted(values)

    def sorts_in_place(values):
        values.sort()
        return values

    (q1,) = QuestionSet("x", [Record]).bind({"f": sorts_in_place})
    assert q1.evaluate().status is Status.PASS
    assert seen == [[3, 1, 2]]


def test_call_answer_turns_errors_exit_and_the_stub_into_verdicts():
    def stub(x):
        raise NotImplementedError("your code here")

    with pytest.raises(NotAttempted):
        call_answer(stub, (1,), name="f")
    with pytest.raises(Incorrect, match=r"`f\(1\)` called sys.exit\(\)"):
        call_answer(lambda x: sys.exit(3), (1,), name="f")
    with pytest.raises(Incorrect, match=r"`f\(1\)` raised KeyError"):
        call_answer(lambda x: {}[x], (1,), name="f")
    lock = threading.Lock()  # cannot be deep-copied: passed as it is
    assert call_answer(lambda lk: lk, (lock,), name="f") is lock


def test_unchanged_compares_frames_arrays_and_plain_objects_by_value():
    df = pd.DataFrame({"a b": [1.0, np.nan]})
    assert unchanged(df.copy(), df)
    assert not unchanged(df, df.rename(columns={"a b": "ab"}))
    assert not unchanged(df, df.astype("float32"))
    assert unchanged(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    assert not unchanged(np.array([1, 2]), np.array([1, 3]))
    assert not unchanged({"k": [1]}, {"k": [1, 2]})
    from sklearn.tree import DecisionTreeRegressor

    model = DecisionTreeRegressor(max_depth=2)
    before = copy.deepcopy(model)
    assert unchanged(before, model)
    model.fit(np.arange(10).reshape(-1, 1), np.arange(10.0))
    assert not unchanged(before, model)


# --- Type-true comparisons ---------------------------------------------------------------------


class Psi(ValueQuestion):
    variables = ("psi",)

    def expected(self):
        return 0.125


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        (0.125, Status.PASS, "Correct"),
        (np.float32(0.125), Status.PASS, "Correct"),
        ("0.125", Status.FAIL, "`psi` should be a number (int or float), got str '0.125'"),
        (True, Status.FAIL, "should be a number (int or float), got bool"),
        ([0.125], Status.FAIL, "should be a number (int or float), got list"),
        (0.2, Status.FAIL, "too high"),
    ],
)
def test_a_number_must_be_a_number(answer, status, message):
    (q1,) = QuestionSet("x", [Psi]).bind({"psi": answer})
    result = q1.evaluate()
    assert result.status is status and message in result.message
    assert "0.125" not in result.message or isinstance(answer, str)


@pytest.mark.parametrize(
    ("actual", "expected", "message"),
    [
        (["a", "b"], {"a", "b"}, "should be a set, got list"),
        ({"a"}, {"a", "b"}, "misses 'b'."),
        ({"a": 1}, [("a", 1)], "should be a list, got dict"),
        (np.str_("x"), "x", None),
        (np.bool_(True), True, None),
        (1, True, "should be True or False"),
        (frozenset({1}), {1}, None),
    ],
)
def test_sets_bools_and_strings_keep_their_type(actual, expected, message):
    if message is None:
        assert_close(actual, expected)
    else:
        with pytest.raises(Incorrect, match=re.escape(message)):
            assert_close(actual, expected)


def test_reveal_false_hides_the_expected_values():
    with pytest.raises(Incorrect) as err:
        assert_close({"x", "y"}, {"x", "secret"}, reveal=False)
    assert "secret" not in str(err.value) and "misses 1 item(s)" in str(err.value)
    with pytest.raises(Incorrect) as err:
        assert_close(pd.Series([1.0, 2.0]), pd.Series([1.0, 7.0]), reveal=False)
    assert "7.0" not in str(err.value)


def test_messages_stay_short():
    (q1,) = QuestionSet("x", [Psi]).bind({"psi": "x" * 5000})
    assert len(q1.evaluate().message) <= 300


# --- Containment: time limits, exits, servers ------------------------------------------------


class Slow(FunctionQuestion):
    variables = ("f",)
    time_limit = 1.0

    def cases(self):
        yield (1,)

    def reference(self, x):
        return x


def test_a_function_that_never_returns_stops_at_the_time_limit():
    slept = []  # one entry per sleep begun: whether it ran to its end

    def forever(x):
        while len(slept) < 3:  # 30 s of sleeps: without a limit it answers, late
            slept.append(False)
            try:
                time.sleep(10)
                slept[-1] = True
            except Exception:  # a student's broad except does not swallow the limit
                pass
        return x

    (q1,) = QuestionSet("x", [Slow]).bind({"f": forever})
    result = q1.evaluate()
    assert result.status is Status.FAIL and "did not return within 1 s" in result.message
    assert slept == [False]  # the limit stopped it inside its first sleep


def test_the_time_limit_fires_again_when_a_bare_except_swallows_it(monkeypatch):
    monkeypatch.setattr(containment, "_REFIRE_S", 0.3)

    swallowed, slept_to_the_end = [], []

    def stubborn(x):
        for _ in range(2):
            try:
                time.sleep(10)
                slept_to_the_end.append(True)
            except BaseException as err:
                swallowed.append(type(err).__name__)
        time.sleep(10)
        slept_to_the_end.append(True)

    (q1,) = QuestionSet("x", [Slow]).bind({"f": stubborn})
    assert "did not return within 1 s" in q1.evaluate().message
    # The limit, then the alarm again after each swallow: no sleep of the three ran to its end.
    assert swallowed == ["CheckTimeout", "CheckTimeout"] and slept_to_the_end == []


def test_the_time_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(TIME_LIMIT_ENV, "0.5")
    (q1,) = QuestionSet("x", [Answer]).bind({"answer": 42})
    assert q1.seconds_allowed() == 0.5
    assert Slow({}, "q1").seconds_allowed() == 1.0  # a question's own limit wins


def test_an_outer_time_limit_survives_an_inner_one():
    with pytest.raises(containment.CheckTimeout, match=r"within 0\.5 s"):
        with containment.time_limit(0.5):
            with containment.time_limit(5):
                time.sleep(0.1)
            time.sleep(5)


def _http_server():
    return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "0"]


def test_a_timeout_stops_the_servers_the_answer_started():
    started = []

    def serves_and_hangs(x):
        started.append(subprocess.Popen(_http_server(), stdout=subprocess.DEVNULL))
        with WatchedServer(_http_server(), host="127.0.0.1", port=0, grace=2) as watched:
            started.append(watched)
            time.sleep(60)

    (q1,) = QuestionSet("x", [Slow]).bind({"f": serves_and_hangs})
    result = q1.evaluate()
    assert "did not return within 1 s" in result.message
    bare, watched = started
    assert bare.poll() is not None  # left running by the answer: stopped after the check
    assert not watched.running  # its `with` block stopped it


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda x: sys.exit(1), "called sys.exit()"),
        (lambda x: exit(), "called sys.exit()"),
    ],
)
def test_exit_in_an_answer_is_a_verdict(body, message):
    (q1,) = QuestionSet("x", [Slow]).bind({"f": body})
    result = q1.evaluate()
    assert result.status is Status.FAIL and message in result.message


def test_exit_and_interrupt_anywhere_in_a_check_are_verdicts(capsys):
    class Exits(ValueQuestion):
        variables = ("answer",)

        def expected(self):
            raise self.namespace["error"]

    for error, message in [
        (SystemExit(2), "called sys.exit()"),
        (KeyboardInterrupt(), "interrupted"),
    ]:
        (q1,) = QuestionSet("x", [Exits]).bind({"answer": 1, "error": error})
        assert message in q1.evaluate().message
        q1.check()  # never raises
    assert capsys.readouterr().out.count("q1: Incorrect") == 2


def test_check_appends_its_verdict_to_the_graders_file(tmp_path, monkeypatch, capsys):
    log = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv(GRADE_LOG_ENV, str(log))
    q1, _, q3 = _bind(answer=41, essay="Drift moves the inputs away from the training data.")
    q1.check()
    q3.check()
    bound, *rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert bound == {"bound": ["q1", "q2", "q3"]}  # so a notebook that dies still has its rows
    assert [(r["question"], r["status"]) for r in rows] == [("q1", "fail"), ("q3", "review")]
    assert rows[1]["answer"] == "Drift moves the inputs away from the training data."


def test_two_notebooks_keep_their_own_questions():
    first, second = {"answer": 42}, {"answer": 1}
    QuestionSet("x", [Answer]).bind(first)
    QuestionSet("x", [Answer]).bind(second)
    assert report(first)[0]["status"] == "pass" and report(second)[0]["status"] == "fail"
    assert report(first, skip={"q1"}) == []


@pytest.mark.slow
@pytest.mark.server
def test_a_model_server_the_answer_leaves_running_is_stopped_after_the_check(
    course_packages, tmp_path, bentoml_processes, assert_stopped
):
    package = course_packages("onnx")  # starts in half the time of a skops one
    servers = []

    class Serves(FunctionQuestion):
        variables = ("f",)
        time_limit = 180

        def cases(self):
            yield (1,)

        def reference(self, x):
            return x

    def leaves_a_server_running(x):
        servers.append(serve(package, log_db=tmp_path / "log.sqlite", timeout=150))
        return x

    (q1,) = QuestionSet("x", [Serves]).bind({"f": leaves_a_server_running})
    assert q1.evaluate().status is Status.PASS
    (server,) = servers
    assert not server.running
    assert_stopped(bentoml_processes(), server.port)
