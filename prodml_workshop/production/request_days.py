"""The capstone's clock: each replayed request carries its day as its request id.

The log's own timestamps are the replay's wall clock (a year of traffic in seconds), whereas
the monitoring job and the feedback need the day each input belongs to.
:func:`~prodml_workshop.props.production.replay` sends each day's request with
``X-Request-ID: 2014-07-01`` (:data:`DAY_FORMAT`), the server writes it in the prediction log,
and :func:`served_by_day` reads it back.
"""

from __future__ import annotations

import pandas as pd

from prodml_workshop.monitoring import logged_inputs

__all__ = ["DAY_FORMAT", "served_by_day"]

#: How a day is written as a request id, e.g. ``"2014-07-01"``.
DAY_FORMAT = "%Y-%m-%d"


def served_by_day(
    log: pd.DataFrame, day_col: str = "day", *, role: str | None = "served"
) -> pd.DataFrame:
    """Return the log's ``/predict`` rows with their day, the version, the inputs and outputs.

    Parameters
    ----------
    log : pandas.DataFrame
        The prediction log (:func:`~prodml_workshop.serving.read_log`).
    day_col : str, default="day"
        The name of the day column of the result.
    role : {"served", "shadow"} or None, default="served"
        Keep the predictions clients got (``"served"``), a shadow model's (``"shadow"``),
        or both (``None``, with a ``role`` column).

    Returns
    -------
    pandas.DataFrame
        ``day_col`` (the request id read as a day; NaT for a request that was not replayed),
        ``model_version``, ``quality`` (the features the service flagged, ``''`` when
        clean), then one column per feature and ``prediction``, with the log's index.

    Examples
    --------
    >>> log = pd.DataFrame({"endpoint": ["predict", "predict_proba", "predict", "predict"],
    ...                     "request_id": ["2014-07-01", "2014-07-01", "a3f9", "2014-07-01"],
    ...                     "model_version": ["skops-1", "skops-1", "skops-1", "skops-2"],
    ...                     "inputs": [{"wind": 3.2}, {"wind": 3.2}, {"wind": 1.0},
    ...                                {"wind": 3.2}],
    ...                     "outputs": ["rain", {"rain": 0.9}, "sun", "sun"],
    ...                     "quality": ["", "", "", ""],
    ...                     "role": ["served", "served", "served", "shadow"]})
    >>> served_by_day(log)
             day model_version quality  wind prediction
    0 2014-07-01       skops-1           3.2       rain
    2        NaT       skops-1           1.0        sun
    """
    rows = log[(log["endpoint"] == "predict") & ((log["role"] == role) | (role is None))]
    served = logged_inputs(rows, time_col="request_id", time_format=DAY_FORMAT, name=day_col)
    served.insert(1, "model_version", rows["model_version"])
    served.insert(2, "quality", rows["quality"])
    if role is None:
        served.insert(3, "role", rows["role"])
    return served.assign(prediction=rows["outputs"])
