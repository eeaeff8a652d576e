"""The monitoring job: data drift per window of days, read from the prediction log.

At the end of every window, :class:`MonitoringJob` compares the window's inputs with the
reference of the model version that served them, the same weeks of the year
(:func:`seasonal_reference`), and raises an :class:`Alert` when the alert rule fires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.monitoring import REFERENCE_DATA, detect_data_drift
from prodml_workshop.packaging import read_manifest
from prodml_workshop.serving import model_version, read_log

from .request_days import served_by_day

__all__ = ["Alert", "MonitoringJob", "UnwatchedVersionError", "seasonal_reference"]


class UnwatchedVersionError(LookupError):
    """The log holds predictions of a model version whose reference the job was not given.

    Call :meth:`MonitoringJob.watch` with every package you deploy, before the job runs.
    """


def seasonal_reference(
    reference: pd.DataFrame,
    window_start: str | pd.Timestamp,
    *,
    window_days: int = 7,
    season_days: int = 21,
    min_rows: int = 20,
    day_col: str = "date",
) -> pd.DataFrame:
    """Return the reference rows of the same time of year as a window: like with like.

    Parameters
    ----------
    reference : pandas.DataFrame
        The served model's reference data (its training data), with a day column.
    window_start : str or pandas.Timestamp
        The first day of the window to check.
    window_days : int, default=7
        The window's length; its middle day is the centre of the season.
    season_days : int, default=21
        Days of year kept on each side of the window's middle, in any year.
    min_rows : int, default=20
        With fewer rows in that season (a model trained on a few weeks), the whole
        reference is returned.
    day_col : str, default="date"
        The column of days.

    Returns
    -------
    pandas.DataFrame
        The matching rows of ``reference``.

    Examples
    --------
    >>> year = pd.DataFrame({"date": pd.date_range("2013-01-01", "2013-12-31")})
    >>> july = seasonal_reference(year, "2014-07-01")
    >>> len(july), str(july["date"].min().date()), str(july["date"].max().date())
    (43, '2013-06-13', '2013-07-25')
    """
    middle = pd.Timestamp(window_start) + pd.Timedelta(days=window_days // 2)
    distance = (pd.to_datetime(reference[day_col]).dt.dayofyear - middle.dayofyear).abs()
    distance = np.minimum(distance, 365 - distance)
    season = reference[distance <= season_days]
    return season if len(season) >= min_rows else reference


@dataclass(frozen=True)
class Alert:
    """A data-drift alert raised by :class:`MonitoringJob` at the end of a window.

    Attributes
    ----------
    window_start, raised_on : pandas.Timestamp
        The window's first and last day; the alert is raised at the end of its last day.
    model_version : str
        The version that served the window (the log's ``model_version``).
    drifted_columns : list of str
        The features that drifted.
    share_drifted : float
        Their share of the features checked.
    """

    window_start: pd.Timestamp
    raised_on: pd.Timestamp
    model_version: str
    drifted_columns: list[str] = field(default_factory=list)
    share_drifted: float = 0.0

    def __str__(self) -> str:
        return (
            f"ALERT raised on {self.raised_on.date()}: data drift in the window "
            f"{self.window_start.date()} to {self.raised_on.date()} served by "
            f"{self.model_version}; drifted: {', '.join(self.drifted_columns)} "
            f"(share {self.share_drifted:.2f})"
        )


class MonitoringJob:
    """Data drift per window of days, computed from the prediction log, with an alert rule.

    At the end of every window of ``window_days`` days (counted from ``start``), the job reads
    the log, keeps the predictions of that window (the request id of each is its day, see
    :mod:`.request_days`) and compares their inputs with the reference of the model version
    that served them: its training rows of the same weeks of the year
    (:func:`seasonal_reference`). Each feature gets the test Evidently would choose
    (Kolmogorov-Smirnov for numbers on a small reference) with the p-value ``threshold``.
    **Alert rule**: at least ``drift_share`` of the features drifted in the window.

    Parameters
    ----------
    log_db : str or pathlib.Path
        The prediction log (``server.log_db``).
    start : str or pandas.Timestamp
        The first day of traffic: windows start there, every ``window_days`` days.
    features : sequence of str
        The features compared.
    window_days : int, default=7
        The window length, in days.
    threshold : float, default=0.01
        A feature drifts when its test's p-value is at most this (or its distance at least
        this, for distance statistics). Stricter than 0.05: the job tests every feature every
        window, and a false alarm every few weeks gets alerts ignored.
    drift_share : float, default=0.5
        The alert rule's share of drifted features.
    season_days : int, default=21
        Passed to :func:`seasonal_reference`.
    day_col : str, default="date"
        The day column of the reference data.

    Attributes
    ----------
    references : dict of str to pandas.DataFrame
        The reference data of each watched model version.
    alerts : list of Alert
        The alerts raised so far by :meth:`after_day`.

    Examples
    --------
    >>> job = MonitoringJob(server.log_db, start="2014-04-01", features=FEATURES)  # doctest: +SKIP
    >>> job.watch(package)  # doctest: +SKIP
    >>> job.run()  # doctest: +SKIP
    """

    def __init__(
        self,
        log_db: str | Path,
        *,
        start: str | pd.Timestamp,
        features: Sequence[str],
        window_days: int = 7,
        threshold: float = 0.01,
        drift_share: float = 0.5,
        season_days: int = 21,
        day_col: str = "date",
    ) -> None:
        self.log_db = Path(log_db)
        self.start = pd.Timestamp(start)
        self.features = list(features)
        self.window_days = window_days
        self.threshold = threshold
        self.drift_share = drift_share
        self.season_days = season_days
        self.day_col = day_col
        self.references: dict[str, pd.DataFrame] = {}
        self.alerts: list[Alert] = []
        self._windows: dict[pd.Timestamp, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return (
            f"MonitoringJob(start='{self.start.date()}', window_days={self.window_days}, "
            f"threshold={self.threshold}, drift_share={self.drift_share}, "
            f"versions={list(self.references)})"
        )

    def watch(self, package: str | Path, reference: pd.DataFrame | None = None) -> str:
        """Register a model version and its reference data; return the version.

        Parameters
        ----------
        package : str or pathlib.Path
            The model package; its version is the one its server writes in the log.
        reference : pandas.DataFrame, default=None
            Dated reference rows with the features. By default the sample stored in the
            package by :func:`~prodml_workshop.monitoring.save_reference`.

        Returns
        -------
        str
            The model version, e.g. ``"skops-3f2a9c1b7d04"``.

        Raises
        ------
        FileNotFoundError
            If no reference is given and the package stores none.
        ValueError
            If the reference lacks the day column or a feature.
        """
        version = model_version(read_manifest(package))
        if reference is None:
            stored = Path(package) / REFERENCE_DATA
            if not stored.is_file():
                raise FileNotFoundError(
                    f"{package} stores no reference sample ({REFERENCE_DATA}); store the "
                    "training rows with save_reference(package, training), or pass reference=."
                )
            reference = pd.read_parquet(stored)
        missing = [c for c in (self.day_col, *self.features) if c not in reference.columns]
        if missing:
            raise ValueError(f"The reference of {package} lacks the columns {missing}.")
        self.references[version] = reference.assign(
            **{self.day_col: pd.to_datetime(reference[self.day_col])}
        )
        return version

    def window_start(self, day: str | pd.Timestamp) -> pd.Timestamp:
        """Return the first day of the window holding ``day``."""
        offset = (pd.Timestamp(day) - self.start).days // self.window_days
        return self.start + pd.Timedelta(days=offset * self.window_days)

    def _served(self) -> pd.DataFrame:
        served = served_by_day(read_log(self.log_db), "day")
        return served[served["day"].notna() & (served["day"] >= self.start)]

    def _check(self, start: pd.Timestamp, window: pd.DataFrame) -> dict[str, Any]:
        version = window["model_version"].mode().iloc[0]
        if version not in self.references:
            raise UnwatchedVersionError(
                f"The log holds predictions of model version {version!r}, which the job does "
                "not watch; call job.watch(package) for every package you deploy."
            )
        reference = seasonal_reference(
            self.references[version],
            start,
            window_days=self.window_days,
            season_days=self.season_days,
            day_col=self.day_col,
        )
        result = detect_data_drift(
            reference[self.features],
            window[self.features],
            columns=self.features,
            threshold=self.threshold,
            drift_share=self.drift_share,
        )
        return {
            "window": start,
            "end": start + pd.Timedelta(days=self.window_days - 1),
            "n": len(window),
            "model_version": version,
            **dict(zip(result.table["column"], result.table["statistic"], strict=True)),
            "drifted": ", ".join(result.drifted_columns),
            "share_drifted": result.share_drifted,
            "alert": result.dataset_drift,
        }

    def run(self) -> pd.DataFrame:
        """Check every complete window in the log.

        Returns
        -------
        pandas.DataFrame
            One row per window, indexed by its first day (``window``): ``end`` (its last
            day), ``n`` (predictions), ``model_version`` (the version that served most of
            them), one column per feature with its test's statistic (a p-value for
            Kolmogorov-Smirnov), ``drifted`` (the drifted features), ``share_drifted`` and
            ``alert`` (the alert rule's verdict).

        Raises
        ------
        FileNotFoundError
            If there is no log yet.
        UnwatchedVersionError
            If a window was served by a version that was not watched.
        """
        served = self._served()
        if not served.empty:
            last_day = served["day"].max()
            starts = served["day"].map(self.window_start)
            for start, window in served.groupby(starts, sort=True):
                complete = start + pd.Timedelta(days=self.window_days - 1) <= last_day
                if complete and start not in self._windows:
                    self._windows[start] = self._check(start, window)
        columns = ["end", "n", "model_version", *self.features]
        columns += ["drifted", "share_drifted", "alert"]
        table = pd.DataFrame([self._windows[s] for s in sorted(self._windows)])
        if table.empty:
            return pd.DataFrame(columns=columns).rename_axis("window")
        return table.set_index("window")[columns]

    def after_day(self, day: str | pd.Timestamp) -> Alert | None:
        """Run the job if ``day`` ends a window; return the window's alert, if raised.

        Parameters
        ----------
        day : str or pandas.Timestamp
            The day whose traffic was just served.

        Returns
        -------
        Alert or None
            The alert of the window ending on ``day`` (also added to :attr:`alerts`).
        """
        day = pd.Timestamp(day)
        if (day - self.start).days % self.window_days != self.window_days - 1:
            return None
        table = self.run()
        start = self.window_start(day)
        if start not in table.index or not table.loc[start, "alert"]:
            return None
        row = table.loc[start]
        alert = Alert(
            window_start=start,
            raised_on=day,
            model_version=row["model_version"],
            drifted_columns=row["drifted"].split(", "),
            share_drifted=float(row["share_drifted"]),
        )
        self.alerts.append(alert)
        return alert
