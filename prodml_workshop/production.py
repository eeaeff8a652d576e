"""The capstone: a model's whole life in production, replayed day by day.

A time-ordered dataset is sent to the model server one day at a time (:func:`replay`); every
prediction lands in the server's prediction log, tagged with its day. A monitoring job
(:class:`MonitoringJob`) reads that log at the end of every window of days, compares the
window's inputs with the served model's reference data, and raises an :class:`Alert` when at
least half of the features drifted. The labels come back later as feedback
(:func:`labelled_log`), for the performance over time and for :func:`retrain`. A new package
replaces the served one with :func:`deploy`, which keeps one server at a time and refuses a
package that fails its technical-drift check.

:func:`to_fahrenheit` is the controlled drift of ``notebooks/05_production.ipynb``: from a
known day on, the weather feed sends its temperatures in degrees Fahrenheit.

Examples
--------
>>> from prodml_workshop.production import MonitoringJob, deploy, replay
>>> server = deploy("models/weather-v1", log_db="log.sqlite")  # doctest: +SKIP
>>> job = MonitoringJob("log.sqlite", start="2014-04-01", features=FEATURES)  # doctest: +SKIP
>>> job.watch("models/weather-v1")  # doctest: +SKIP
>>> run = replay(server, production_days, features=FEATURES, job=job)  # doctest: +SKIP
>>> print(run.alert)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.monitoring import (
    REFERENCE_DATA,
    detect_data_drift,
    logged_inputs,
    technical_drift,
)
from prodml_workshop.packaging import read_manifest
from prodml_workshop.serving import ModelServer, model_version, read_log, serve, to_records

__all__ = [
    "TEMPERATURES",
    "Alert",
    "DeploymentError",
    "MonitoringJob",
    "ReplayResult",
    "current_server",
    "deploy",
    "labelled_log",
    "plot_production",
    "replay",
    "retrain",
    "seasonal_reference",
    "to_fahrenheit",
    "undeploy",
]

#: The temperature columns of the Seattle weather, in degrees Celsius.
TEMPERATURES = ("temp_max", "temp_min")

_DAY_FORMAT = "%Y-%m-%d"
_current: ModelServer | None = None


class DeploymentError(RuntimeError):
    """A package was refused before it was served; the message says which check failed."""


def _served_by_day(log: pd.DataFrame, day_col: str) -> pd.DataFrame:
    """The log's ``/predict`` rows: their day (the request id, see :func:`replay`; NaT for a
    request that was not replayed), the model version that served them, and their inputs."""
    predictions = log[log["endpoint"] == "predict"]
    served = logged_inputs(
        predictions, time_col="request_id", time_format=_DAY_FORMAT, name=day_col
    )
    served.insert(1, "model_version", predictions["model_version"])
    return served


# --------------------------------------------------------------------------- the drift


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


# --------------------------------------------------------------------------- deployment


def current_server() -> ModelServer | None:
    """Return the server started by :func:`deploy` that is still running, if any."""
    return _current if _current is not None and _current.running else None


def undeploy() -> None:
    """Stop the server started by :func:`deploy`, if any; safe to call more than once."""
    global _current
    if _current is not None:
        _current.stop()
        _current = None


def deploy(
    package: str | Path,
    *,
    log_db: str | Path,
    check: bool = True,
    **serve_options: Any,
) -> ModelServer:
    """Serve a model package in place of the one deployed before: one server at a time.

    The package first passes its technical-drift check (library versions, and the stored
    reference sample re-scored, see :func:`~prodml_workshop.monitoring.technical_drift`).
    Then the running server, if any, is stopped and a new one is started on the package,
    writing to the same prediction log. Stopping first keeps the memory of one server (a few
    seconds without service); with memory to spare, start the new one first, then switch.
    Running a notebook's cells again is safe: whatever :func:`deploy` started before is
    stopped first.

    Parameters
    ----------
    package : str or pathlib.Path
        The model package to serve.
    log_db : str or pathlib.Path
        The prediction log, shared by every version deployed.
    check : bool, default=True
        Run the technical-drift check first.
    **serve_options
        Passed to :func:`~prodml_workshop.serving.serve` (``workers``, ``timeout``...).

    Returns
    -------
    ModelServer
        The running server; :func:`undeploy` (or its ``stop()``) stops it.

    Raises
    ------
    DeploymentError
        If the package fails its technical-drift check; the running server is left alone.
    ServerStartError
        If the new server does not start (the old one is already stopped).

    Examples
    --------
    >>> server = deploy("models/weather-v2", log_db="log.sqlite")  # doctest: +SKIP
    >>> requests.get(f"{server.url}/metadata").json()["metadata"]["name"]  # doctest: +SKIP
    'weather-v2'
    """
    global _current
    if check:
        report = technical_drift(package)
        if not report.ok:
            raise DeploymentError(
                f"{package} was not deployed: it failed its technical-drift check. Rebuild it "
                f"in this environment (or fix the environment) and deploy again.\n{report}"
            )
    undeploy()
    _current = serve(package, log_db=log_db, **serve_options)
    return _current


# --------------------------------------------------------------------------- monitoring


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
    :func:`replay`) and compares their inputs with the reference of the model version that
    served them: its training rows of the same weeks of the year (:func:`seasonal_reference`).
    Each feature gets the test Evidently would choose (Kolmogorov-Smirnov for numbers on a
    small reference) with the p-value ``threshold``. **Alert rule**: at least ``drift_share``
    of the features drifted in the window.

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
        served = _served_by_day(read_log(self.log_db), "day")
        return served[served["day"].notna() & (served["day"] >= self.start)]

    def _check(self, start: pd.Timestamp, window: pd.DataFrame) -> dict[str, Any]:
        version = window["model_version"].mode().iloc[0]
        if version not in self.references:
            raise KeyError(
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
        KeyError
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


# --------------------------------------------------------------------------- traffic


@dataclass
class ReplayResult:
    """What :func:`replay` served.

    Attributes
    ----------
    served : pandas.DataFrame
        One row per day served: the day and the prediction the server answered.
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
    stop_on_alert: bool = True,
    progress: bool = True,
    timeout: float = 30.0,
) -> ReplayResult:
    """Send days of traffic to the server, one ``POST /predict`` per day, in time order.

    Each request carries its day as its request id (``X-Request-ID: 2014-07-01``), which the
    server writes in the prediction log: the log's own timestamps are the replay's wall
    clock, a year in seconds, whereas the monitoring job needs the day each input belongs to.
    After each day the monitoring job, if given, runs when the day ends one of its windows.

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
    stop_on_alert : bool, default=True
        Stop after the day on which the job raised an alert.
    progress : bool, default=True
        Show a progress bar (``tqdm.auto``).
    timeout : float, default=30.0
        Seconds to wait for each answer.

    Returns
    -------
    ReplayResult
        ``served`` (day, prediction), ``alerts``, ``alert`` (the first) and ``last_day``.

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
    labels = pd.to_datetime(days[day_col]).dt.strftime(_DAY_FORMAT).tolist()
    records = to_records(days[list(features)])
    served: list[tuple[pd.Timestamp, Any]] = []
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
                served.append((pd.Timestamp(label), response.json()[0]))
                bar.update()
                alert = job.after_day(label) if job is not None else None
                if alert is not None:
                    alerts.append(alert)
                    bar.set_postfix_str(f"alert on {label}")
                    if stop_on_alert:
                        break
    finally:
        bar.close()
    return ReplayResult(pd.DataFrame(served, columns=[day_col, "prediction"]), alerts)


# --------------------------------------------------------------------------- feedback


def labelled_log(
    log: pd.DataFrame,
    feedback: pd.DataFrame,
    *,
    day_col: str = "date",
    label_col: str = "weather",
) -> pd.DataFrame:
    """Join the prediction log with the labels that came back, by day.

    Parameters
    ----------
    log : pandas.DataFrame
        The prediction log (:func:`~prodml_workshop.serving.read_log`), as written during
        :func:`replay` (the request id of each prediction is its day).
    feedback : pandas.DataFrame
        The true labels: ``day_col`` and ``label_col``, one row per day. Days without
        feedback yet are left out.
    day_col : str, default="date"
        The day column of ``feedback``, and of the result.
    label_col : str, default="weather"
        The label column of ``feedback``, and of the result.

    Returns
    -------
    pandas.DataFrame
        One row per labelled prediction, in time order: ``day_col``, ``model_version``, the
        features as served, ``prediction`` and ``label_col``.

    Examples
    --------
    >>> labelled = labelled_log(read_log(server.log_db), feedback)  # doctest: +SKIP
    >>> (labelled["prediction"] == labelled["weather"]).mean()  # doctest: +SKIP
    """
    served = _served_by_day(log, day_col)
    served["prediction"] = log["outputs"]
    labels = feedback[[day_col, label_col]].assign(**{day_col: pd.to_datetime(feedback[day_col])})
    joined = served.dropna(subset=[day_col]).merge(labels, on=day_col, how="inner")
    return joined.sort_values(day_col, kind="stable", ignore_index=True)


def retrain(
    estimator: Any,
    *parts: pd.DataFrame,
    features: Sequence[str],
    target: str,
    day_col: str = "date",
) -> tuple[Any, pd.DataFrame]:
    """Fit a fresh copy of an estimator on labelled data gathered from several sources.

    Parameters
    ----------
    estimator : scikit-learn estimator
        The model to copy (with :func:`sklearn.base.clone`, so its settings, not its fit).
    *parts : pandas.DataFrame
        Labelled rows with ``day_col``, the features and ``target``: e.g. the history from
        the data warehouse and the recent days from :func:`labelled_log`.
    features : sequence of str
        The input columns.
    target : str
        The label column.
    day_col : str, default="date"
        The column of days.

    Returns
    -------
    (estimator, pandas.DataFrame)
        The fitted copy, and the training rows (``day_col``, features, ``target``) in time
        order: store them in the package as its reference.

    Raises
    ------
    ValueError
        If no part is given, or a part lacks a column.

    Examples
    --------
    >>> model, training = retrain(pipeline, history, recent, features=FEATURES,
    ...                           target="weather")  # doctest: +SKIP
    """
    from sklearn.base import clone

    if not parts:
        raise ValueError("Pass at least one DataFrame of labelled rows to train on.")
    columns = [day_col, *features, target]
    for position, part in enumerate(parts):
        missing = [c for c in columns if c not in part.columns]
        if missing:
            raise ValueError(f"Part {position} of the training data lacks the columns {missing}.")
    training = pd.concat([part[columns] for part in parts], ignore_index=True)
    training[day_col] = pd.to_datetime(training[day_col])
    training = training.sort_values(day_col, kind="stable", ignore_index=True)
    model = clone(estimator).fit(training[list(features)], training[target])
    return model, training


# --------------------------------------------------------------------------- the picture


def plot_production(
    report: pd.DataFrame,
    *,
    events: Mapping[str, str | pd.Timestamp] | None = None,
    names: Mapping[str, str] | None = None,
    drift_share: float = 0.5,
    metric: str = "accuracy",
) -> Any:
    """Plot the share of drifted features and the performance per window, with the events.

    Parameters
    ----------
    report : pandas.DataFrame
        :meth:`MonitoringJob.run`'s table joined with a ``metric`` column (e.g. from
        :func:`~prodml_workshop.monitoring.performance_by_window`).
    events : mapping of str to day, default=None
        Vertical lines, e.g. ``{"drift starts": "2014-07-01", "alert": alert.raised_on}``.
    names : mapping of str to str, default=None
        Display names of the model versions, e.g. ``{"skops-3f2a...": "v1"}``.
    drift_share : float, default=0.5
        Where the alert rule's line is drawn.
    metric : str, default="accuracy"
        The performance column of ``report``.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the time axis.

    Examples
    --------
    >>> plot_production(report, events={"alert": run.alert.raised_on})  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    names = dict(names or {})
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
    width = pd.Timedelta(days=5)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (version, rows) in enumerate(report.groupby("model_version", sort=False)):
        label = names.get(version, version)
        color = colors[i % len(colors)]
        middle = rows.index + pd.Timedelta(days=3)
        top.bar(middle, rows["share_drifted"], width=width, color=color, label=label)
        if metric in rows:
            bottom.plot(middle, rows[metric], marker="o", color=color, label=label)
    top.axhline(drift_share, color="grey", linestyle="--", label=f"alert rule ({drift_share:g})")
    top.set(ylabel="share of drifted\nfeatures", ylim=(0, 1.05), title="Weekly monitoring")
    bottom.set(ylabel=metric, ylim=(-0.05, 1.05))
    styles = ["red", "darkorange", "green", "purple"]
    for (label, day), color in zip((events or {}).items(), styles * 3, strict=False):
        for ax, name in ((top, label), (bottom, None)):
            ax.axvline(pd.Timestamp(day), color=color, linestyle=":", linewidth=2, label=name)
    top.legend(loc="upper left", fontsize="small", ncol=3)
    bottom.legend(loc="lower left", fontsize="small", ncol=2)
    fig.tight_layout()
    return fig
