"""The monitoring job: data quality per day, data and prediction drift per window, from the log.

Every day, :class:`MonitoringJob` reads the quality the service wrote for each prediction and
raises a data-quality :class:`~.alerts.Alert` when records were outside the served version's
reference. At the end of every window, it compares the window's inputs, and the model's
outputs, with the reference of the version that served them, the same weeks of the year
(:func:`seasonal_reference`), and raises a data-drift or prediction-drift alert when the rule
fires.

The job reads only the log. A log its servers could not write to for a while (the database
down or slow, see :mod:`prodml_workshop.serving.prediction_log`) records the gap: every
:meth:`MonitoringJob.run` warns, saying how many predictions were answered but not logged, and
when; :meth:`MonitoringJob.log_gaps` lists them. Its verdicts are then on the rows written.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.monitoring import detect_data_drift
from prodml_workshop.monitoring.prediction_drift import (
    PREDICTION,
    detect_prediction_drift,
    reference_predictions,
)
from prodml_workshop.packaging import REFERENCE_DATA, load_model, read_manifest
from prodml_workshop.serving import model_version, read_log, read_log_gaps
from prodml_workshop.serving.log_database import log_location

from .alerts import Alert
from .request_days import served_by_day

__all__ = ["IncompleteLogWarning", "MonitoringJob", "UnwatchedVersionError", "seasonal_reference"]


class IncompleteLogWarning(UserWarning):
    """The log records predictions that were answered but could not be written."""


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


class MonitoringJob:
    """Data quality per day, data and prediction drift per window, read from the log.

    The job only reads the prediction log (the request id of each prediction is its day, see
    :mod:`.request_days`), never the server, and keeps the predictions clients got (a shadow
    model's are left out). Three checks, three kinds of :class:`~.alerts.Alert`:

    - **data quality**, after every day: the service marks each prediction whose record had
      a feature outside the served version's reference range, or an unseen category (the
      log's ``quality`` column). Alert when more than ``quality_share`` of the day's
      predictions are marked.
    - **data drift**, at the end of every window of ``window_days`` days (counted from
      ``start``): the window's inputs against the reference of the version that served them,
      its training rows of the same weeks of the year (:func:`seasonal_reference`). Each
      feature gets the test Evidently would choose (Kolmogorov-Smirnov for numbers on a small
      reference) with the p-value ``threshold``. Alert when at least ``drift_share`` of the
      features drifted.
    - **prediction drift**, at the same time: the window's outputs against the predictions
      stored with the same reference rows
      (:func:`~prodml_workshop.monitoring.prediction_drift.detect_prediction_drift`, at
      ``threshold``). No label needed.

    Parameters
    ----------
    log_db : str or pathlib.Path
        The prediction log (``server.log_db``): a SQLite file or a PostgreSQL URL.
    start : str or pandas.Timestamp
        The first day of traffic: windows start there, every ``window_days`` days.
    features : sequence of str
        The features compared.
    window_days : int, default=7
        The window length, in days.
    threshold : float, default=0.01
        A feature, or the predictions, drift when the test's p-value is at most this (or its
        distance at least this, for distance statistics). Stricter than 0.05: the job tests
        every feature every window, and a false alarm every few weeks gets alerts ignored.
    drift_share : float, default=0.5
        The data-drift rule's share of drifted features.
    quality_share : float, default=0.0
        The data-quality rule: alert when more than this share of a day's predictions had a
        record outside the reference (by default, any).
    season_days : int, default=21
        Passed to :func:`seasonal_reference`.
    day_col : str, default="date"
        The day column of the reference data.

    Attributes
    ----------
    references : dict of str to pandas.DataFrame
        The reference rows of each watched model version, with their ``prediction``.
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
        quality_share: float = 0.0,
        season_days: int = 21,
        day_col: str = "date",
    ) -> None:
        self.log_db = log_location(log_db)
        self.start = pd.Timestamp(start)
        self.features = list(features)
        self.window_days = window_days
        self.threshold = threshold
        self.drift_share = drift_share
        self.quality_share = quality_share
        self.season_days = season_days
        self.day_col = day_col
        self.references: dict[str, pd.DataFrame] = {}
        self.alerts: list[Alert] = []
        self._windows: dict[pd.Timestamp, dict[str, Any]] = {}
        self._gap_rows_reported = 0

    def __repr__(self) -> str:
        return (
            f"MonitoringJob(start='{self.start.date()}', window_days={self.window_days}, "
            f"threshold={self.threshold}, drift_share={self.drift_share}, "
            f"quality_share={self.quality_share}, versions={list(self.references)})"
        )

    def watch(self, package: str | Path, reference: pd.DataFrame | None = None) -> str:
        """Register a model version and its reference rows and predictions; return the version.

        Parameters
        ----------
        package : str or pathlib.Path
            The model package; its version is the one its server writes in the log.
        reference : pandas.DataFrame, default=None
            Dated reference rows with the features (and, optionally, the model's
            ``prediction`` for each; the package's model scores them otherwise). By default
            the sample and predictions stored in the package by
            :func:`~prodml_workshop.packaging.save_reference`.

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
            if REFERENCE_DATA not in read_manifest(package)["artifacts"]:
                raise FileNotFoundError(
                    f"{package} stores no reference sample ({REFERENCE_DATA}); store the "
                    "training rows with save_reference(package, training), or pass reference=."
                )
            reference = reference_predictions(package)
        missing = [c for c in (self.day_col, *self.features) if c not in reference.columns]
        if missing:
            raise ValueError(f"The reference of {package} lacks the columns {missing}.")
        if PREDICTION not in reference.columns:
            scores = load_model(package).predict(reference[self.features])
            reference = reference.assign(**{PREDICTION: list(scores)})
        self.references[version] = reference.assign(
            **{self.day_col: pd.to_datetime(reference[self.day_col])}
        )
        return version

    def window_start(self, day: str | pd.Timestamp) -> pd.Timestamp:
        """Return the first day of the window holding ``day``."""
        offset = (pd.Timestamp(day) - self.start).days // self.window_days
        return self.start + pd.Timedelta(days=offset * self.window_days)

    def log_gaps(self) -> pd.DataFrame:
        """Return the log's gaps: rows its servers answered but could not write.

        Returns
        -------
        pandas.DataFrame
            ``since``, ``until``, ``rows`` and ``reason`` per gap (see
            :func:`~prodml_workshop.serving.read_log_gaps`); empty when the log is complete.
        """
        return read_log_gaps(self.log_db)

    def _warn_of_gaps(self) -> None:
        gaps = self.log_gaps()
        rows = int(gaps["rows"].sum())
        if rows > self._gap_rows_reported:
            self._gap_rows_reported = rows
            warnings.warn(
                f"The log may be incomplete: {rows} predictions were answered but could not be "
                f"written, between {gaps['since'].min():%Y-%m-%d %H:%M:%S} and "
                f"{gaps['until'].max():%Y-%m-%d %H:%M:%S} UTC ({gaps['reason'].iloc[-1]}); "
                "the checks see only the rows written. job.log_gaps() lists the gaps.",
                IncompleteLogWarning,
                stacklevel=3,
            )

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
        inputs = detect_data_drift(
            reference[self.features],
            window[self.features],
            columns=self.features,
            threshold=self.threshold,
            drift_share=self.drift_share,
        )
        outputs = detect_prediction_drift(
            reference[PREDICTION], window[PREDICTION], threshold=self.threshold
        )
        return {
            "window": start,
            "end": start + pd.Timedelta(days=self.window_days - 1),
            "n": len(window),
            "model_version": version,
            "flagged": float((window["quality"] != "").mean()),
            **dict(zip(inputs.table["column"], inputs.table["statistic"], strict=True)),
            "drifted": ", ".join(inputs.drifted_columns),
            "share_drifted": inputs.share_drifted,
            "data_drift": inputs.dataset_drift,
            PREDICTION: float(outputs.table["statistic"].iloc[0]),
            "prediction_drift": outputs.dataset_drift,
        }

    def run(self) -> pd.DataFrame:
        """Check every complete window in the log.

        Returns
        -------
        pandas.DataFrame
            One row per window, indexed by its first day (``window``): ``end`` (its last
            day), ``n`` (predictions), ``model_version`` (the version that served most of
            them), ``flagged`` (the share of predictions with a data-quality issue), one
            column per feature with its test's statistic (a p-value for Kolmogorov-Smirnov),
            ``drifted`` (the drifted features), ``share_drifted``, ``data_drift`` (the rule's
            verdict), ``prediction`` (the statistic of the outputs' test) and
            ``prediction_drift``.

        Raises
        ------
        FileNotFoundError
            If there is no log yet.
        UnwatchedVersionError
            If a window was served by a version that was not watched.

        Warns
        -----
        IncompleteLogWarning
            When the log records predictions it could not write (once per new gap rows).
        """
        served = self._served()
        self._warn_of_gaps()
        if not served.empty:
            last_day = served["day"].max()
            starts = served["day"].map(self.window_start)
            for start, window in served.groupby(starts, sort=True):
                complete = start + pd.Timedelta(days=self.window_days - 1) <= last_day
                if complete and start not in self._windows:
                    self._windows[start] = self._check(start, window)
        columns = ["end", "n", "model_version", "flagged", *self.features, "drifted"]
        columns += ["share_drifted", "data_drift", PREDICTION, "prediction_drift"]
        table = pd.DataFrame([self._windows[s] for s in sorted(self._windows)])
        if table.empty:
            return pd.DataFrame(columns=columns).rename_axis("window")
        return table.set_index("window")[columns]

    def _quality_alert(self, day: pd.Timestamp) -> Alert | None:
        served = self._served()
        today = served[served["day"] == day]
        flagged = today[today["quality"] != ""]
        if today.empty or len(flagged) <= self.quality_share * len(today):
            return None
        named = {name for issues in flagged["quality"] for name in issues.split(",")}
        return Alert(
            "data quality",
            window_start=day,
            raised_on=day,
            model_version=flagged["model_version"].mode().iloc[0],
            columns=[f for f in self.features if f in named] + sorted(named - set(self.features)),
            detail=f"{len(flagged)} of {len(today)} predictions",
        )

    def after_day(self, day: str | pd.Timestamp) -> list[Alert]:
        """Run the day's checks, and the window's if ``day`` ends one; return the alerts raised.

        Parameters
        ----------
        day : str or pandas.Timestamp
            The day whose traffic was just served.

        Returns
        -------
        list of Alert
            The day's data-quality alert, then the window's data-drift and prediction-drift
            alerts, if raised (also added to :attr:`alerts`).
        """
        day = pd.Timestamp(day)
        alerts = [alert for alert in [self._quality_alert(day)] if alert is not None]
        if (day - self.start).days % self.window_days == self.window_days - 1:
            start = self.window_start(day)
            table = self.run()
            if start in table.index:
                row = table.loc[start]
                if row["data_drift"]:
                    alerts.append(
                        Alert(
                            "data drift",
                            start,
                            day,
                            row["model_version"],
                            row["drifted"].split(", "),
                            f"share {row['share_drifted']:.2f}",
                        )
                    )
                if row["prediction_drift"]:
                    alerts.append(
                        Alert(
                            "prediction drift",
                            start,
                            day,
                            row["model_version"],
                            [PREDICTION],
                            f"statistic {row[PREDICTION]:.2g}, threshold {self.threshold}",
                        )
                    )
        self.alerts.extend(alerts)
        return alerts
