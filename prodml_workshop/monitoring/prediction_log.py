"""Read what production saw: the model inputs recorded in a prediction log.

The serving session logs one row per request with ``timestamp``, ``request_id``,
``model_version``, ``inputs`` (the record, as JSON) and ``outputs``. Read the log into a
DataFrame (e.g. ``pandas.read_sql("SELECT * FROM predictions", connection)``) and
:func:`logged_inputs` turns it into a feature frame that the drift checks compare with the
training data.

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


def _timestamps(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):  # seconds since the epoch, as time.time() gives
        return pd.to_datetime(values, unit="s")
    return pd.to_datetime(values)


def logged_inputs(log: pd.DataFrame, *, time_col: str = "timestamp") -> pd.DataFrame:
    """Expand a prediction log's ``inputs`` into one column per feature, with the timestamp.

    Parameters
    ----------
    log : pandas.DataFrame
        The log: one row per prediction, an ``inputs`` column holding the record (a JSON
        string or a dict) and a timestamp column.
    time_col : str, default="timestamp"
        The timestamp column: datetimes, ISO strings, or seconds since the epoch.

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (datetime64) then one column per feature (in order of first
        appearance; a feature missing from a record is NaN), one row per log row, with the
        log's index.

    Raises
    ------
    DriftInputError
        If the log lacks ``inputs`` or the timestamp column, or a row's inputs are not one
        JSON object.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"timestamp": [1714557600.0], "inputs": [{"wind": 3.2}]})
    >>> logged_inputs(log).columns.tolist()
    ['timestamp', 'wind']
    """
    missing = [c for c in ("inputs", time_col) if c not in log.columns]
    if missing:
        raise DriftInputError(
            f"The prediction log lacks the columns {missing}; it has {list(log.columns)}."
        )
    records = [_record(value, position) for position, value in enumerate(log["inputs"])]
    features = pd.DataFrame.from_records(records, index=log.index)
    if "timestamp" in features.columns:
        raise DriftInputError(
            "The logged inputs have a feature named 'timestamp', the name of the time column "
            "of the result; rename that feature."
        )
    features.insert(0, "timestamp", _timestamps(log[time_col]))
    return features
