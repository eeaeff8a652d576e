"""Traffic: replay a time-ordered dataset against the server, one request per day.

Each request carries its day as its request id (:mod:`.request_days`), so the monitoring job
and the feedback can tell which day each logged prediction belongs to.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from prodml_workshop.production import ALERT_KINDS, Alert, MonitoringJob
from prodml_workshop.production.request_days import DAY_FORMAT
from prodml_workshop.serving import ModelServer, to_records

__all__ = ["ReplayResult", "replay"]


@dataclass
class ReplayResult:
    """What :func:`replay` served.

    Attributes
    ----------
    served : pandas.DataFrame
        One row per day served: the day, the prediction the server answered and the
        ``model_version`` that answered it (the ``X-Model-Version`` header).
    alerts : list of Alert
        The alerts the monitoring job raised during the replay.
    """

    served: pd.DataFrame
    alerts: list[Alert]

    @property
    def alert(self) -> Alert | None:
        """The first alert, or None."""
        return self.alerts[0] if self.alerts else None

    @property
    def last_day(self) -> pd.Timestamp | None:
        """The last day served, or None if none was."""
        return self.served.iloc[:, 0].max() if len(self.served) else None


def replay(
    server: ModelServer | str,
    days: pd.DataFrame,
    *,
    features: Sequence[str],
    day_col: str = "date",
    job: MonitoringJob | None = None,
    stop_on: Collection[str] = ALERT_KINDS,
    progress: bool = True,
    timeout: float = 30.0,
) -> ReplayResult:
    """Send days of traffic to the server, one ``POST /predict`` per day, in time order.

    Each request carries its day as its request id (``X-Request-ID: 2014-07-01``), which the
    server writes in the prediction log: the log's own timestamps are the replay's wall
    clock, a year in seconds, whereas the monitoring job needs the day each input belongs to.
    After each day the monitoring job, if given, runs its checks
    (:meth:`~.monitoring_job.MonitoringJob.after_day`).

    Parameters
    ----------
    server : ModelServer or str
        The server, or its base URL.
    days : pandas.DataFrame
        One row per day, in time order, with ``day_col`` and the features (other columns,
        such as the label, are not sent).
    features : sequence of str
        The columns sent as the record.
    day_col : str, default="date"
        The column of days.
    job : MonitoringJob, default=None
        Run after every day that ends one of its windows.
    stop_on : collection of str, default=ALERT_KINDS
        Stop after the day on which the job raised an alert of one of these kinds (see
        :data:`~.alerts.ALERT_KINDS`); ``()`` never stops.
    progress : bool, default=True
        Show a progress bar (``tqdm.auto``).
    timeout : float, default=30.0
        Seconds to wait for each answer.

    Returns
    -------
    ReplayResult
        ``served`` (day, prediction, model version), ``alerts``, ``alert`` (the first) and
        ``last_day``.

    Raises
    ------
    RuntimeError
        If the server answers an error; the message holds its answer.

    Examples
    --------
    >>> run = replay(server, production_days, features=FEATURES, job=job)  # doctest: +SKIP
    >>> run.alert  # doctest: +SKIP
    """
    import requests
    from tqdm.auto import tqdm

    url = getattr(server, "url", server)
    days = days.sort_values(day_col)
    labels = pd.to_datetime(days[day_col]).dt.strftime(DAY_FORMAT).tolist()
    records = to_records(days[list(features)])
    served: list[tuple[pd.Timestamp, Any, str | None]] = []
    alerts: list[Alert] = []
    bar = tqdm(total=len(records), desc="days served", unit="day", disable=not progress)
    try:
        with requests.Session() as session:
            for label, record in zip(labels, records, strict=True):
                response = session.post(
                    f"{url}/predict",
                    json={"records": [record]},
                    headers={"X-Request-ID": label},
                    timeout=timeout,
                )
                if response.status_code != 200:
                    raise RuntimeError(
                        f"The server answered {response.status_code} to the request of "
                        f"{label}: {response.text[:500]}"
                    )
                version = response.headers.get("X-Model-Version")
                served.append((pd.Timestamp(label), response.json()[0], version))
                bar.update()
                raised = job.after_day(label) if job is not None else []
                alerts += raised
                if raised:
                    bar.set_postfix_str(f"alert on {label}")
                if any(alert.kind in stop_on for alert in raised):
                    break
    finally:
        bar.close()
    served_days = pd.DataFrame(served, columns=[day_col, "prediction", "model_version"])
    return ReplayResult(served_days, alerts)
