"""Questions of ``00_warmup.ipynb``: serving-time preprocessing, JSON payloads, honest holdouts.

* q1 fills a request batch's missing values with the *training* medians (checked on batches
  whose own medians differ, and on a batch of one record);
* q2 turns a DataFrame into JSON-ready records;
* q3 holds out the latest period (penguins by year, weekly snapshots, seasons; rows whose time
  is missing belong to neither side; the last row is of an older year at every check);
* q4 is a written answer on production risks.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.exercises.core import (
    FunctionQuestion,
    Incorrect,
    QuestionSet,
    ThoughtQuestion,
    assert_close,
)

__all__ = ["bind", "json_records"]


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Reference answer of q2: one dict per row, Python scalars, missing values as ``None``."""
    records = df.astype(object).where(df.notna(), None).to_dict("records")
    return [
        {k: v.item() if isinstance(v, np.generic) else v for k, v in r.items()} for r in records
    ]


class FillLikeTraining(FunctionQuestion):
    """Fill a request batch's missing values with the training medians, never the batch's own."""

    variables = ("fill_like_training",)
    hints = (
        "The values to fill with come from `medians`, which were computed on the training "
        "data: nothing about them depends on the batch.",
        "A batch of one record has no median of its own, and a batch's median depends on who "
        "else happened to be in it: the same penguin would get different answers.",
        "Return a new DataFrame with the same rows and columns, each listed column filled with "
        "its own training value; leave the batch you were given unchanged.",
    )

    def cases(self) -> Iterable[tuple]:
        rng = np.random.default_rng()  # fresh batches at every check
        yield from _fill_cases(rng)

    def reference(self, batch: pd.DataFrame, medians: dict[str, float]) -> pd.DataFrame:
        return batch.fillna(medians)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if not isinstance(actual, pd.DataFrame):
            raise Incorrect(f"{what} returned {type(actual).__name__}: return a DataFrame.")
        if len(actual) != len(expected):
            raise Incorrect(
                f"{what} returned {len(actual)} rows for {len(expected)}: every request needs "
                "an answer, so keep every row."
            )
        if list(actual.columns) != list(expected.columns):
            raise Incorrect(f"{what} changed the columns: keep them, in their order.")
        for column in expected.columns:
            got, want = actual[column].to_numpy(), expected[column].to_numpy()
            if pd.isna(got).sum() != pd.isna(want).sum():
                left = (
                    "left missing values"
                    if pd.isna(got).sum() > pd.isna(want).sum()
                    else ("filled values")
                )
                raise Incorrect(f"{what} {left} in `{column}` that it should not have.")
            wrong = [
                i for i, (a, e) in enumerate(zip(got, want, strict=True))
                if not (pd.isna(a) and pd.isna(e)) and a != e
                and not (isinstance(e, float) and np.isclose(a, e))
            ]  # fmt: skip
            if wrong:
                raise Incorrect(
                    f"{what} gave row {wrong[0]} of `{column}` another value than the training "
                    "median (or changed a value that was not missing)."
                )


def _fill_cases(rng: np.random.Generator) -> Iterable[tuple]:
    from prodml_workshop.penguin_model import NUMERIC

    penguins = load_penguins()
    medians = {c: float(penguins[c].median()) for c in NUMERIC}
    rows = penguins[PENGUIN_FEATURES].sample(12, random_state=rng).reset_index(drop=True)
    # Heavy penguins only: the batch's own medians are far from the training ones.
    heavy = penguins[penguins["body_mass_g"] > 5000][PENGUIN_FEATURES]
    batch = heavy.sample(8, random_state=rng).reset_index(drop=True)
    batch.loc[[1, 4], "body_mass_g"] = np.nan
    batch.loc[[2], ["bill_length_mm", "flipper_length_mm"]] = np.nan
    batch.loc[[3], "sex"] = None  # no training median: it stays missing, at every check
    yield batch, medians
    one = rows.head(1).copy()  # a single record, every measurement missing
    one[NUMERIC] = np.nan
    yield one, medians
    for column in [*NUMERIC, "sex"]:
        rows.loc[rng.random(len(rows)) < 0.25, column] = np.nan
    yield rows, medians
    n = int(rng.integers(5, 12))
    sensors = pd.DataFrame(
        {
            "wind speed": rng.gamma(2, 3, n).round(1),
            "station": rng.choice(["north", "south", None], n),
            "temp max": rng.normal(25, 4, n).round(1),
        }
    )
    sensors.loc[rng.permutation(n)[:2], "wind speed"] = np.nan
    sensors.loc[rng.permutation(n)[:3], "temp max"] = np.nan
    yield sensors, {"wind speed": float(rng.uniform(1, 4)), "temp max": float(rng.uniform(5, 12))}


class ToRecords(FunctionQuestion):
    """Turn a DataFrame into JSON-ready records (missing values as ``None``)."""

    variables = ("to_records",)
    hints = (
        "`df.to_dict('records')` gives one dict per row, but keeps NaN, which JSON cannot carry.",
        "Replace missing values by None before turning the rows into dicts, or let pandas "
        "write the JSON (it writes NaN as null) and read it back with the json module.",
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


class HoldoutLatest(FunctionQuestion):
    """Hold out the latest period, as production will meet it: train on the past only."""

    variables = ("holdout_latest",)
    hints = (
        "In production the model always predicts data that comes *after* its training data. A "
        "random split lets it learn from the future of its own test rows.",
        "The test rows are those whose `column` holds the latest value; the training rows, "
        "those strictly before it. The rows are not sorted.",
        "What does `NaN < latest` give? And `NaN != latest`? A row you cannot place in time "
        "belongs to neither side.",
    )

    def cases(self) -> Iterable[tuple]:
        rng = np.random.default_rng()  # fresh rows at every check
        penguins = load_penguins().sample(frac=1, random_state=rng).reset_index(drop=True)
        penguins.loc[rng.permutation(len(penguins))[:3], "year"] = np.nan
        # At every check the last row is of an older year: the rows are in no particular order.
        last = int(rng.choice(penguins.index[penguins["year"] < penguins["year"].max()]))
        order = [*penguins.index.drop(last), last]
        yield penguins.loc[order].reset_index(drop=True), "year"
        n = int(rng.integers(30, 80))
        weeks = pd.to_datetime("2025-01-06") + pd.to_timedelta(rng.integers(0, 6, n) * 7, "D")
        frame = pd.DataFrame(
            {"snapshot date": weeks, "reading": rng.normal(size=n).round(3), "id": range(n)}
        )
        yield frame.sample(frac=1, random_state=rng).reset_index(drop=True), "snapshot date"
        seasons = pd.DataFrame({"season": rng.integers(1, 5, 40), "y": rng.integers(0, 2, 40)})
        yield seasons, "season"

    def reference(self, df: pd.DataFrame, column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        self._column, self._last = column, df[column].iloc[-1]  # for the message
        latest = df[column].max()
        return df[df[column] < latest], df[df[column] == latest]

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if not isinstance(actual, tuple | list) or len(actual) != 2:
            raise Incorrect(f"{what} should return a pair (train, test).")
        for part, name in zip(actual, ("train", "test"), strict=True):
            if not isinstance(part, pd.DataFrame):
                raise Incorrect(f"{what}: {name} should be a DataFrame, got {type(part).__name__}.")
        (train, test), (want_train, want_test) = actual, expected
        column = self._column
        if set(test.index) != set(want_test.index) or len(test) != len(want_test):
            last = self._last
            if len(test) and last < want_test[column].max() and (test[column] == last).all():
                raise Incorrect(
                    f"{what} held out the period of the last row, but the rows are in no "
                    f"particular order: the latest period is the largest `{column}`."
                )
            if len(test) and len(train) and train[column].max() > test[column].min():
                raise Incorrect(
                    f"{what}: some training rows come after some test rows — the model would "
                    "learn from the future of the data it is evaluated on."
                )
            raise Incorrect(f"{what}: the test rows should be all the rows of the latest period.")
        if set(train.index) != set(want_train.index) or len(train) != len(want_train):
            if train[column].isna().any():
                raise Incorrect(
                    f"{what} put rows without a `{column}` in train: they cannot be placed in time."
                )
            raise Incorrect(f"{what}: the training rows should be every row before that period.")
        if not train.equals(want_train.loc[train.index]) or not test.equals(
            want_test.loc[test.index]
        ):
            raise Incorrect(f"{what} changed the rows' values: select rows, do not modify them.")


class ProductionRisks(ThoughtQuestion):
    """Why could a model that scored well in a notebook do worse in production?"""

    variables: ClassVar[tuple[str, ...]] = ("production_risks",)


_QUESTIONS = QuestionSet("00_warmup", [FillLikeTraining, ToRecords, HoldoutLatest, ProductionRisks])
bind = _QUESTIONS.bind
