"""Questions of ``00_warmup.ipynb``: the data, JSON payloads and production risks."""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.exercises.core import (
    FunctionQuestion,
    Incorrect,
    Question,
    QuestionSet,
    ThoughtQuestion,
    ValueQuestion,
    assert_close,
)

__all__ = ["bind", "json_records"]


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Reference answer of q2: one dict per row, Python scalars, missing values as ``None``."""
    records = df.astype(object).where(df.notna(), None).to_dict("records")
    return [
        {k: v.item() if isinstance(v, np.generic) else v for k, v in r.items()} for r in records
    ]


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise Incorrect(f"the JSON holds {constant}, which is not valid JSON: use null (None).")

    return json.loads(text, parse_constant=refuse)


class MissingRows(ValueQuestion):
    """How many penguins have at least one missing value?"""

    variables = ("n_missing_rows",)
    hints = (
        "`DataFrame.isna()` marks missing cells; you want rows where *any* cell is missing.",
        "`penguins.isna().any(axis=1)` is one boolean per row; summing booleans counts them.",
    )

    def expected(self) -> int:
        return int(load_penguins().isna().any(axis=1).sum())


class ToRecords(FunctionQuestion):
    """Turn a DataFrame into JSON-ready records (missing values as ``None``)."""

    variables = ("to_records",)
    hints = (
        "`df.to_dict('records')` gives one dict per row, but keeps NaN, which JSON cannot carry.",
        "Replace missing values first: `df.astype(object).where(df.notna(), None)`, "
        "or let pandas write JSON and read it back: "
        "`json.loads(df.to_json(orient='records'))`.",
    )

    def cases(self) -> Iterable[tuple]:
        penguins = load_penguins()
        yield (penguins.head(3),)
        yield (penguins[penguins.isna().any(axis=1)].head(5),)
        rng = np.random.default_rng()  # fresh inputs at every check
        n = int(rng.integers(3, 8))
        floats = rng.normal(size=n).round(3)
        floats[rng.integers(0, n)] = np.nan
        words = ["".join(rng.choice(list(string.ascii_lowercase), 5)) for _ in range(n)]
        words[rng.integers(0, n)] = None
        yield (pd.DataFrame({"count": rng.integers(0, 100, n), "x": floats, "name": words}),)

    def reference(self, df: pd.DataFrame) -> list[dict[str, Any]]:
        return json_records(df)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        try:
            json.dumps(actual, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise Incorrect(f"{what} cannot be sent as JSON: {err}") from None
        assert_close(actual, expected, what=what)


class PayloadFile(Question):
    """Write a JSON request body for the first four penguins to a file."""

    variables = ("payload_path",)
    hints = (
        "A request carries the features the model needs, not the label: use `PENGUIN_FEATURES`.",
        "Build `{'records': to_records(penguins.head(4)[PENGUIN_FEATURES])}` and `json.dump` it.",
        "The fourth penguin has missing measurements: they must be `null` in the file, not `NaN`.",
    )

    def _check(self, payload_path: Any) -> None:
        path = Path(payload_path)
        if not path.is_file():
            raise Incorrect(f"there is no file at {str(path)!r}.")
        try:
            body = _strict_json(path.read_text())
        except json.JSONDecodeError as err:
            raise Incorrect(f"{path.name} is not valid JSON: {err}") from None
        if not isinstance(body, dict) or "records" not in body:
            raise Incorrect('the body should be an object with a "records" key.')
        expected = json_records(load_penguins().head(4)[PENGUIN_FEATURES])
        assert_close(body["records"], expected, what='body["records"]')


class ProductionRisks(ThoughtQuestion):
    """Why could a model that scored well in a notebook do worse in production?"""

    variables: ClassVar[tuple[str, ...]] = ("production_risks",)


_QUESTIONS = QuestionSet("00_warmup", [MissingRows, ToRecords, PayloadFile, ProductionRisks])
bind = _QUESTIONS.bind
