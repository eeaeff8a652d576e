"""Drift injected on purpose, the capstone's: from a known day on, temperatures in Fahrenheit."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["TEMPERATURES", "to_fahrenheit"]

#: The temperature columns of the Seattle weather, in degrees Celsius.
TEMPERATURES = ("temp_max", "temp_min")


def to_fahrenheit(
    frame: pd.DataFrame,
    *,
    since: str | pd.Timestamp | None = None,
    columns: Sequence[str] = TEMPERATURES,
    day_col: str = "date",
) -> pd.DataFrame:
    """Return a copy whose temperatures are in degrees Fahrenheit, from a day on.

    Parameters
    ----------
    frame : pandas.DataFrame
        Daily rows with a day column and temperatures in degrees Celsius.
    since : str or pandas.Timestamp, default=None
        The first day converted; every row when ``None``.
    columns : sequence of str, default=TEMPERATURES
        The columns to convert.
    day_col : str, default="date"
        The column of days.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame``; rows on or after ``since`` hold ``9 / 5 * celsius + 32``.

    Examples
    --------
    >>> days = pd.DataFrame({"date": pd.to_datetime(["2014-06-30", "2014-07-01"]),
    ...                      "temp_max": [20.0, 20.0], "temp_min": [10.0, 10.0]})
    >>> to_fahrenheit(days, since="2014-07-01")["temp_max"].tolist()
    [20.0, 68.0]
    """
    converted = frame.copy()
    rows = slice(None) if since is None else converted[day_col] >= pd.Timestamp(since)
    for column in columns:
        converted.loc[rows, column] = converted.loc[rows, column] * 9 / 5 + 32
    return converted
