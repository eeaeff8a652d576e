"""Feedback: join the labels that came back with the prediction log, and retrain on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .request_days import served_by_day

__all__ = ["compare_versions", "labelled_log", "retrain"]


def labelled_log(
    log: pd.DataFrame,
    feedback: pd.DataFrame,
    *,
    day_col: str = "date",
    label_col: str = "weather",
    role: str | None = "served",
) -> pd.DataFrame:
    """Join the prediction log with the labels that came back, by day.

    Parameters
    ----------
    log : pandas.DataFrame
        The prediction log (:func:`~prodml_workshop.serving.read_log`), as written during
        :func:`~prodml_workshop.props.production.replay` (the request id of each prediction
        is its day).
    feedback : pandas.DataFrame
        The true labels: ``day_col`` and ``label_col``, one row per day. Days without
        feedback yet are left out.
    day_col : str, default="date"
        The day column of ``feedback``, and of the result.
    label_col : str, default="weather"
        The label column of ``feedback``, and of the result.
    role : {"served", "shadow"} or None, default="served"
        The predictions clients got, a shadow model's, or both (with a ``role`` column).

    Returns
    -------
    pandas.DataFrame
        One row per labelled prediction, in time order: ``day_col``, ``model_version``,
        ``quality``, the features as served, ``prediction`` and ``label_col``.

    Examples
    --------
    >>> labelled = labelled_log(read_log(server.log_db), feedback)  # doctest: +SKIP
    >>> (labelled["prediction"] == labelled["weather"]).mean()  # doctest: +SKIP
    """
    served = served_by_day(log, day_col, role=role)
    labels = feedback[[day_col, label_col]].assign(**{day_col: pd.to_datetime(feedback[day_col])})
    joined = served.dropna(subset=[day_col]).merge(labels, on=day_col, how="inner")
    return joined.sort_values(day_col, kind="stable", ignore_index=True)


def compare_versions(
    log: pd.DataFrame,
    feedback: pd.DataFrame,
    *,
    day_col: str = "date",
    label_col: str = "weather",
) -> pd.DataFrame:
    """Compare the versions in a log: how often each agrees with the answer served, and is right.

    For a shadow deployment, both versions score every request: ``agreement`` is the share
    of requests on which the shadow answered what the client got. For a canary, each request
    is answered by one version: compare their ``accuracy``.

    Parameters
    ----------
    log : pandas.DataFrame
        The prediction log, or the part of it to compare (e.g. the shadow days).
    feedback : pandas.DataFrame
        The true labels, as for :func:`labelled_log`.
    day_col, label_col : str
        As for :func:`labelled_log`.

    Returns
    -------
    pandas.DataFrame
        One row per ``(role, model_version)``: ``predictions`` (labelled ones), ``agreement``
        (with the served answer to the same request) and ``accuracy``.

    Examples
    --------
    >>> compare_versions(read_log(log_db), feedback)  # doctest: +SKIP
                           predictions  agreement  accuracy
    role   model_version
    served skops-1b2c...             7        1.0  0.142857
    shadow skops-9f8e...             7   0.142857  0.857143
    """
    labelled = labelled_log(log, feedback, day_col=day_col, label_col=label_col, role=None)
    answered = labelled[labelled["role"] == "served"].set_index(day_col)["prediction"]
    return (
        labelled.assign(
            agrees=labelled["prediction"].to_numpy() == labelled[day_col].map(answered),
            correct=labelled["prediction"] == labelled[label_col],
        )
        .groupby(["role", "model_version"])
        .agg(
            predictions=("prediction", "size"),
            agreement=("agrees", "mean"),
            accuracy=("correct", "mean"),
        )
    )


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
