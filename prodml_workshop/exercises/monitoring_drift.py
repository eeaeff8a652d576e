"""Question 2 of ``04_monitoring.ipynb``: which column drifted?

The data is fixed (one seed), so the notebook and the check see the same frames, and it is
chosen so that the quick methods point elsewhere: the drifted column changed its *shape* (two
clusters where there was one) while its mean and spread stayed put; another column's mean moved
the most in raw units (pressure, a large scale), another's spread and standardised mean moved the
most (a few extreme rainfalls), and neither drifted by the test of the lecture.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.exercises.core import Incorrect, Question
from prodml_workshop.monitoring import detect_data_drift

__all__ = ["DriftedColumn", "drift_case"]

_CASE_SEED = 5
_CASE_DRIFTED = "temperature"


def _weather_like(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "temperature": rng.normal(15, 6, n).round(1),
            "humidity": (rng.beta(6, 3, n) * 100).round(1),
            "pressure": rng.normal(1015, 8, n).round(1),
            "wind": rng.gamma(3, 1.2, n).round(1),
            "precipitation": np.where(rng.random(n) < 0.45, rng.exponential(4, n), 0.0).round(1),
        }
    )


def drift_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The data of question 2: last month's sensor readings against the training data.

    Returns
    -------
    reference, current : pandas.DataFrame
        600 reference rows and 400 current rows of five weather-station columns; exactly one
        column of ``current`` has drifted. The same frames at every call.

    Examples
    --------
    >>> reference, current = drift_case()
    >>> reference.shape, current.shape
    ((600, 5), (400, 5))
    """
    rng = np.random.default_rng(_CASE_SEED)
    reference, current = _weather_like(rng, 600), _weather_like(rng, 400)
    n = len(current)
    # A thermostat that now switches between two set points: two clusters, same mean and spread.
    side = np.where(rng.random(n) < 0.5, -1, 1)
    mean, std = reference[_CASE_DRIFTED].mean(), reference[_CASE_DRIFTED].std()
    current[_CASE_DRIFTED] = (mean + side * 0.93 * std + rng.normal(0, 0.37 * std, n)).round(1)
    current["pressure"] = (current["pressure"] + 1.2).round(1)  # within the noise, large units
    storms = rng.choice(n, 6, replace=False)  # six extreme rainfalls: spread and mean jump
    current.loc[storms, "precipitation"] = rng.uniform(45, 70, 6).round(1)
    return reference, current


class DriftedColumn(Question):
    """Name the column of ``drift_case()`` that drifted."""

    variables = ("drifted_column",)
    hints = (
        "Looking at the means is not enough: compare the distributions, column by column.",
        "The lecture's drift detection runs a statistical test per column and says which "
        "columns drifted: the shape of a distribution can change while its mean stays put.",
    )

    def _check(self, drifted_column: Any) -> None:
        answer = drifted_column
        reference, current = drift_case()
        if isinstance(answer, list | tuple | set | np.ndarray | pd.Index | pd.Series):
            raise Incorrect(
                f"`drifted_column` should be one column name (a string), not a "
                f"{type(answer).__name__}: take the name out of it (e.g. `names[0]`)."
            )
        if not isinstance(answer, str):
            raise Incorrect(
                "`drifted_column` should be a column name (a string) such as 'humidity', "
                f"got {type(drifted_column).__name__}."
            )
        name = answer.strip()
        if name not in reference.columns:
            raise Incorrect(
                f"{name!r} is not a column of the data; the columns are {list(reference.columns)}."
            )
        if name != _CASE_DRIFTED:
            table = detect_data_drift(reference, current).table.set_index("column")
            row = table.loc[name]
            raise Incorrect(
                f"{name!r} did not drift: its {row['test']} statistic is {row['statistic']:.3g} "
                f"(threshold {row['threshold']:g}). Test every column."
            )
