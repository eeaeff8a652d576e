"""The warm-up questions against right and wrong answers."""

import json

import numpy as np
import pandas as pd
import pytest

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.exercises import PLACEHOLDER, Status, warmup


def _status(question):
    return question.evaluate()


@pytest.fixture
def penguins():
    return load_penguins()


def test_q1_counts_rows_with_any_missing_value(penguins):
    right = int(penguins.isna().any(axis=1).sum())
    q1, *_ = warmup.bind({"n_missing_rows": right})
    assert _status(q1).status is Status.PASS
    cells_not_rows = int(penguins.isna().sum().sum())
    q1, *_ = warmup.bind({"n_missing_rows": cells_not_rows})
    assert _status(q1).status is Status.FAIL
    assert f"is {cells_not_rows}, expected {right}" in _status(q1).message


@pytest.mark.parametrize(
    "answer",
    [
        lambda df: json.loads(df.to_json(orient="records")),
        lambda df: df.astype(object).where(df.notna(), None).to_dict("records"),
    ],
)
def test_q2_accepts_any_correct_to_records(answer):
    _, q2, *_ = warmup.bind({"to_records": answer})
    assert _status(q2).status is Status.PASS


def test_q2_refuses_records_that_keep_nan():
    _, q2, *_ = warmup.bind({"to_records": lambda df: df.to_dict("records")})
    result = _status(q2)
    assert result.status is Status.FAIL and "cannot be sent as JSON" in result.message


def test_q2_refuses_a_function_that_ignores_its_input(penguins):
    fixed = warmup.json_records(penguins.head(3))
    _, q2, *_ = warmup.bind({"to_records": lambda df: fixed})
    assert _status(q2).status is Status.FAIL


def test_json_records_gives_plain_python_values():
    df = pd.DataFrame({"n": np.array([1, 2]), "x": [0.5, np.nan], "s": ["a", None]})
    records = warmup.json_records(df)
    assert records == [{"n": 1, "x": 0.5, "s": "a"}, {"n": 2, "x": None, "s": None}]
    assert type(records[0]["n"]) is int
    json.dumps(records, allow_nan=False)


def _write(path, body, **kwargs):
    path.write_text(json.dumps(body, **kwargs))
    return str(path)


def test_q3_checks_the_file_content(tmp_path, penguins):
    records = warmup.json_records(penguins.head(4)[PENGUIN_FEATURES])
    *_, q3, _ = warmup.bind({"payload_path": _write(tmp_path / "ok.json", {"records": records})})
    assert _status(q3).status is Status.PASS


@pytest.mark.parametrize(
    ("make_body", "message"),
    [
        (lambda p: {"records": p.head(4)[PENGUIN_FEATURES].to_dict("records")}, "not valid JSON"),
        (lambda p: {"records": warmup.json_records(p.head(4))}, "wrong keys"),
        (lambda p: {"records": warmup.json_records(p.head(3)[PENGUIN_FEATURES])}, "has 3 items"),
        (lambda p: warmup.json_records(p.head(4)[PENGUIN_FEATURES]), '"records" key'),
    ],
)
def test_q3_explains_what_is_wrong_with_the_file(tmp_path, penguins, make_body, message):
    path = _write(tmp_path / "body.json", make_body(penguins))
    *_, q3, _ = warmup.bind({"payload_path": path})
    result = _status(q3)
    assert result.status is Status.FAIL and message in result.message


def test_q3_reports_a_missing_file(tmp_path):
    *_, q3, _ = warmup.bind({"payload_path": str(tmp_path / "nowhere.json")})
    assert "there is no file" in _status(q3).message


def test_q4_wants_a_sentence():
    *_, q4 = warmup.bind({"production_risks": PLACEHOLDER})
    assert _status(q4).status is Status.NOT_ATTEMPTED
    *_, q4 = warmup.bind({"production_risks": "Data drift and a different library version."})
    assert _status(q4).status is Status.PASS
