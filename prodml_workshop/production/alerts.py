"""The monitoring job's alerts: what fired, when, for which version, and on what."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["ALERT_KINDS", "Alert"]

#: The checks that raise alerts. *Data quality*: a served record had a feature outside the
#: served version's reference range, or a category it never saw (checked every day, from the
#: log's ``quality`` column). *Data drift*: the distribution of the window's inputs moved
#: (checked at the end of each window). *Prediction drift*: the distribution of the window's
#: outputs moved (likewise; no label needed).
ALERT_KINDS = ("data quality", "data drift", "prediction drift")


@dataclass(frozen=True)
class Alert:
    """An alert raised by :class:`~.monitoring_job.MonitoringJob`.

    Attributes
    ----------
    kind : str
        One of :data:`ALERT_KINDS`.
    window_start, raised_on : pandas.Timestamp
        The first and last day checked; the alert is raised at the end of its last day (the
        same day for a data-quality alert).
    model_version : str
        The version that served those days (the log's ``model_version``).
    columns : list of str
        The features flagged or drifted, or ``["prediction"]``.
    detail : str
        The numbers behind it, e.g. ``"share 0.50"`` or ``"1 of 1 predictions"``.

    Examples
    --------
    >>> day = pd.Timestamp("2014-07-01")
    >>> print(Alert("data quality", day, day, "skops-1", ["temp_max"], "1 of 1 predictions"))
    ALERT (data quality) raised on 2014-07-01, on 2014-07-01, served by skops-1: temp_max (1 of 1 predictions)
    """  # noqa: E501

    kind: str
    window_start: pd.Timestamp
    raised_on: pd.Timestamp
    model_version: str
    columns: list[str] = field(default_factory=list)
    detail: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ALERT_KINDS:
            raise ValueError(f"kind must be one of {ALERT_KINDS}, not {self.kind!r}.")

    def __str__(self) -> str:
        days = (
            f"on {self.raised_on.date()}"
            if self.window_start == self.raised_on
            else f"in the window {self.window_start.date()} to {self.raised_on.date()}"
        )
        return (
            f"ALERT ({self.kind}) raised on {self.raised_on.date()}, {days}, served by "
            f"{self.model_version}: {', '.join(self.columns)} ({self.detail})"
        )
