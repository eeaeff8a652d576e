"""The warm-up questions against right answers in several styles and the common wrong ones.

The function questions make up new inputs at every check, so each answer is checked ``RUNS``
times: a right answer passes every run, a wrong one fails every run.
"""

import json

import numpy as np
import pandas as pd
import pytest
from question_checks import QuestionChecks, stub

from prodml_workshop.exercises import PLACEHOLDER, Status, warmup

RUNS = 20


_checks = QuestionChecks(warmup, runs=RUNS)
_question, _always, _message = _checks.question, _checks.always, _checks.message


# --- q1: fill like training ---------------------------------------------------------------------


def _fill_loop(batch, medians):
    out = batch.copy()
    for column, median in medians.items():
        out[column] = out[column].where(out[column].notna(), median)
    return out


@pytest.mark.parametrize(
    "answer",
    [
        lambda batch, medians: batch.fillna(medians),
        lambda batch, medians: batch.fillna(value=pd.Series(medians)),
        _fill_loop,
    ],
)
def test_q1_accepts_filling_with_the_training_medians(answer):
    _always(Status.PASS, 1, fill_like_training=answer)


def _batch_medians(batch, medians):
    return batch.fillna(batch[list(medians)].median())


def _in_place(batch, medians):
    batch.fillna(medians, inplace=True)
    return batch


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_batch_medians, "another value than the training median"),
        (lambda batch, medians: batch.fillna(0), "another value"),
        (lambda batch, medians: batch.dropna(), "keep every row"),
        (lambda batch, medians: batch.fillna(batch.mean(numeric_only=True)), "another value"),
        (lambda batch, medians: batch, "left missing values"),
        (lambda batch, medians: batch.fillna(medians).fillna("unknown"), "filled values"),
        (lambda batch, medians: batch.fillna(medians).to_dict("records"), "return a DataFrame"),
        (_in_place, "in place"),
    ],
)
def test_q1_refuses_batch_statistics_and_lost_rows_every_time(answer, says):
    _always(Status.FAIL, 1, fill_like_training=answer)
    assert says in _message(1, fill_like_training=answer)


def test_q1_blank_and_stub_are_not_attempted():
    _always(Status.NOT_ATTEMPTED, 1, 1, fill_like_training=PLACEHOLDER)
    _always(Status.NOT_ATTEMPTED, 1, 1, fill_like_training=stub)


# --- q2: JSON records ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        lambda df: json.loads(df.to_json(orient="records")),
        lambda df: df.astype(object).where(df.notna(), None).to_dict("records"),
    ],
)
def test_q2_accepts_any_correct_to_records(answer):
    _always(Status.PASS, 2, 5, to_records=answer)


def test_q2_refuses_records_that_keep_nan():
    _always(Status.FAIL, 2, 5, to_records=lambda df: df.to_dict("records"))
    assert "cannot be sent as JSON" in _message(2, to_records=lambda df: df.to_dict("records"))


def test_q2_refuses_a_function_that_ignores_its_input():
    fixed = warmup.json_records(pd.DataFrame({"a": [1]}))
    _always(Status.FAIL, 2, 5, to_records=lambda df: fixed)


def test_q2_refuses_a_function_that_fills_its_input_in_place():
    def in_place(df):
        df[df.columns[0]] = df[df.columns[0]].astype(object).where(df[df.columns[0]].notna())
        return json.loads(df.to_json(orient="records"))

    _always(Status.FAIL, 2, 3, to_records=in_place)


def test_json_records_gives_plain_python_values():
    df = pd.DataFrame({"n": np.array([1, 2]), "x": [0.5, np.nan], "s": ["a", None]})
    records = warmup.json_records(df)
    assert records == [{"n": 1, "x": 0.5, "s": "a"}, {"n": 2, "x": None, "s": None}]
    assert type(records[0]["n"]) is int
    json.dumps(records, allow_nan=False)


# --- q3: hold out the latest period -------------------------------------------------------------


def _latest_sorted(df, column):
    known = df[df[column].notna()].sort_values(column)
    last = known[column].iloc[-1]
    return known[known[column] != last], known[known[column] == last]


@pytest.mark.parametrize(
    "answer",
    [
        lambda df, column: (df[df[column] < df[column].max()], df[df[column] == df[column].max()]),
        _latest_sorted,
        lambda df, column: [
            df.loc[df[column] < df[column].max()],
            df.query(f"`{column}` == @df[@column].max()"),
        ],
    ],
)
def test_q3_accepts_the_latest_period_held_out(answer):
    _always(Status.PASS, 3, holdout_latest=answer)


def _random_split(df, column):
    test = df.sample(frac=0.2)
    return df.drop(test.index), test


def _tail(df, column):
    n = int((df[column] == df[column].max()).sum())
    return df.iloc[:-n], df.iloc[-n:]


def _not_latest(df, column):
    latest = df[column].max()
    return df[df[column] != latest], df[df[column] == latest]


def _last_row_is_latest(df, column):
    latest = df[column].iloc[-1]
    return df[df[column] < latest], df[df[column] == latest]


def _last_row_is_latest_after_dropping_missing(df, column):
    known = df.dropna(subset=[column])
    latest = known.iloc[-1][column]
    return known[known[column] < latest], known[known[column] == latest]


def _reset(df, column):
    latest = df[column].max()
    return (
        df[df[column] < latest].reset_index(drop=True),
        df[df[column] == latest].reset_index(drop=True),
    )


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_random_split, "learn from the future"),
        (_tail, ""),
        (_not_latest, "cannot be placed in time"),
        (lambda df, column: _not_latest(df, column)[::-1], ""),
        (_reset, ""),
        (lambda df, column: df[df[column] < df[column].max()], "pair"),
    ],
)
def test_q3_refuses_splits_that_leak_the_future_every_time(answer, says):
    _always(Status.FAIL, 3, holdout_latest=answer)
    assert says in _message(3, holdout_latest=answer)


@pytest.mark.parametrize(
    "answer", [_last_row_is_latest, _last_row_is_latest_after_dropping_missing]
)
def test_q3_refuses_the_last_row_as_the_latest_at_every_check(answer):
    _checks.refused_every_time(3, "held out the period of the last row", holdout_latest=answer)


def test_q3_blank_and_stub_are_not_attempted():
    _always(Status.NOT_ATTEMPTED, 3, 1, holdout_latest=PLACEHOLDER)
    _always(Status.NOT_ATTEMPTED, 3, 1, holdout_latest=stub)


# --- q4: written ----------------------------------------------------------------------------------


def test_q4_records_a_sentence_for_review():
    assert _question(4, production_risks=PLACEHOLDER).evaluate().status is Status.NOT_ATTEMPTED
    answer = "Data drift and a different library version."
    assert _question(4, production_risks=answer).evaluate().status is Status.REVIEW
