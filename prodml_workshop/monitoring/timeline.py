"""Data drift over time: compare each window of production data with a reference.

A single drift check answers "has this batch moved?". Monitoring asks it again and again:
:func:`drift_over_time` cuts time-stamped data into windows (months, weeks...) and runs
:func:`~prodml_workshop.monitoring.detect_data_drift` on each, against one fixed reference or
against a reference chosen per window (the same month of the training year, for seasonal
data). The lecture's plot of it is
:func:`~prodml_workshop.props.monitoring.plot_drift_timeline`.

Examples
--------
>>> from prodml_workshop.data import load_seattle_weather
>>> weather = load_seattle_weather()
>>> first_year = weather[weather.date.dt.year == 2012]
>>> timeline = drift_over_time(first_year, weather, time_col="date", freq="QS",
...                            columns=["temp_max", "wind"])
>>> spring_2014 = timeline.loc["2014-04-01"]
>>> bool(spring_2014["temp_max"]), bool(spring_2014["wind"]), float(spring_2014["share_drifted"])
(True, False, 0.5)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from .data_drift import detect_data_drift
from .errors import DriftInputError

__all__ = ["drift_over_time"]

Reference = pd.DataFrame | Callable[[pd.Timestamp], pd.DataFrame]


def drift_over_time(
    reference: Reference,
    data: pd.DataFrame,
    *,
    time_col: str,
    freq: str = "MS",
    columns: Sequence[str] | None = None,
    min_rows: int = 10,
    **options: Any,
) -> pd.DataFrame:
    """Run a data drift check on each time window of ``data``.

    Parameters
    ----------
    reference : pandas.DataFrame or callable
        The reference data, or a function that takes a window's start (a
        :class:`pandas.Timestamp`) and returns the reference for that window, e.g. the same
        month of the training year.
    data : pandas.DataFrame
        The data to watch, with a time column.
    time_col : str
        The column of timestamps in ``data``; it is never compared.
    freq : str, default="MS"
        Window length, a pandas frequency: ``"MS"`` (months), ``"QS"`` (quarters), ``"W"``...
    columns : sequence of str, default=None
        Columns to compare; by default those of ``data`` other than ``time_col``.
    min_rows : int, default=10
        Windows with fewer rows are left out (a test on a handful of rows says little).
    **options
        Passed to :func:`~prodml_workshop.monitoring.detect_data_drift` (``method``,
        ``threshold``, ``drift_share``, ``column_types``).

    Returns
    -------
    pandas.DataFrame
        One row per window, indexed by its start (``window``): ``n_rows``, one boolean column
        per compared column (True: it drifted), ``share_drifted`` and ``dataset_drift``.

    Raises
    ------
    DriftInputError
        If ``time_col`` is missing or no window has ``min_rows`` rows; and whatever
        :func:`~prodml_workshop.monitoring.detect_data_drift` raises for a window.

    Examples
    --------
    >>> timeline = drift_over_time(reference, production, time_col="timestamp",
    ...                            freq="W")  # doctest: +SKIP
    >>> timeline["share_drifted"].plot()  # doctest: +SKIP
    """
    if time_col not in data.columns:
        raise DriftInputError(
            f"The data has no time column {time_col!r}; its columns are {list(data.columns)}."
        )
    if columns is None:
        columns = [c for c in data.columns if c != time_col]
    columns = list(columns)
    frame = data.assign(**{time_col: pd.to_datetime(data[time_col])})
    rows = []
    for start, window in frame.groupby(pd.Grouper(key=time_col, freq=freq), sort=True):
        if len(window) < min_rows:
            continue
        ref = reference(pd.Timestamp(start)) if callable(reference) else reference
        result = detect_data_drift(ref, window, columns=columns, **options)
        flags = dict(zip(result.table["column"], result.table["drifted"], strict=True))
        rows.append(
            {
                "window": pd.Timestamp(start),
                "n_rows": len(window),
                **flags,
                "share_drifted": result.share_drifted,
                "dataset_drift": result.dataset_drift,
            }
        )
    if not rows:
        raise DriftInputError(
            f"No window of {freq!r} has at least {min_rows} rows; use longer windows or a "
            "smaller min_rows."
        )
    return pd.DataFrame(rows).set_index("window")
