"""Read what production saw: the model inputs recorded in a prediction log.

The serving session logs one row per request with ``timestamp``, ``request_id``,
``model_version``, ``inputs`` (the record, as JSON) and ``outputs``. Read the log into a
DataFrame (:func:`~prodml_workshop.serving.read_log`, or e.g.
``pandas.read_sql("SELECT * FROM predictions", connection)``) and :func:`logged_inputs` turns
it into a feature frame that the drift checks compare with the training data. This is the one
place the log's ``inputs`` are expanded: the capstone's monitoring job and its feedback join
(:mod:`prodml_workshop.production`) read the log through it too.

Examples
--------
>>> import pandas as pd
>>> log = pd.DataFrame({"timestamp": ["2024-05-01T10:00:00"],
...                     "inputs": ['{"temp_max": 21.5, "weather": "sun"}']})
>>> logged_inputs(log)
            timestamp  temp_max weather
0 2024-05-01 10:00:00      21.5     sun
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .errors import DriftInputError

__all__ = ["logged_inputs"]


def _record(value: Any, position: int) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise DriftInputError(
                f"Row {position} of the log has inputs that are not valid JSON ({exc})."
            ) from exc
    if not isinstance(value, dict):
        raise DriftInputError(
            f"Row {position} of the log has inputs of type {type(value).__name__}; each row "
            "must hold one record, a JSON object of feature names to values."
        )
    return value


def _times(values: pd.Series, time_format: str | None) -> pd.Series:
    if time_format is not None:  # e.g. days written as request ids; other ids are no time
        return pd.to_datetime(values, format=time_format, errors="coerce")
    if pd.api.types.is_numeric_dtype(values):  # seconds since the epoch, as time.time() gives
        return pd.to_datetime(values, unit="s")
    return pd.to_datetime(values)


def logged_inputs(
    log: pd.DataFrame,
    *,
    time_col: str = "timestamp",
    time_format: str | None = None,
    name: str = "timestamp",
) -> pd.DataFrame:
    """Expand a prediction log's ``inputs`` into one column per feature, with the time of each.

    Parameters
    ----------
    log : pandas.DataFrame
        The log: one row per prediction, an ``inputs`` column holding the record (a JSON
        string or a dict) and a time column.
    time_col : str, default="timestamp"
        The column that says when each input was seen: datetimes, ISO strings, or seconds
        since the epoch; or, with ``time_format``, strings in that format.
    time_format : str, default=None
        The format of ``time_col``'s values, e.g. ``"%Y-%m-%d"`` for the days the capstone's
        replay writes as request ids. A value that does not match it (a request id that is
        not a day) is read as NaT. When ``None``, every value must be a time.
    name : str, default="timestamp"
        The name of the time column of the result.

    Returns
    -------
    pandas.DataFrame
        ``name`` (datetime64) then one column per feature (in order of first appearance; a
        feature missing from a record is NaN), one row per log row, with the log's index:
        join other columns of the log (``model_version``, ``outputs``) by index.

    Raises
    ------
    DriftInputError
        If the log lacks ``inputs`` or the time column, a row's inputs are not one JSON
        object, or a feature has the name of the time column of the result.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"timestamp": [1714557600.0], "inputs": [{"wind": 3.2}]})
    >>> logged_inputs(log).columns.tolist()
    ['timestamp', 'wind']

    The replay of the capstone sends each day's traffic with the day as its request id:

    >>> log = pd.DataFrame({"request_id": ["2014-07-01", "a3f9-request"],
    ...                     "inputs": [{"wind": 3.2}, {"wind": 1.0}]})
    >>> logged_inputs(log, time_col="request_id", time_format="%Y-%m-%d", name="day")
             day  wind
    0 2014-07-01   3.2
    1        NaT   1.0
    """
    missing = [c for c in ("inputs", time_col) if c not in log.columns]
    if missing:
        raise DriftInputError(
            f"The prediction log lacks the columns {missing}; it has {list(log.columns)}."
        )
    records = [_record(value, position) for position, value in enumerate(log["inputs"])]
    features = pd.DataFrame(records, index=log.index)
    if name in features.columns:
        raise DriftInputError(
            f"The logged inputs have a feature named {name!r}, the name of the time column "
            "of the result; rename that feature, or pass another name=."
        )
    features.insert(0, name, _times(log[time_col], time_format))
    return features
