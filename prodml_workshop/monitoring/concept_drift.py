"""Concept drift: does the model still predict well, now that the true labels come back?

Inputs can stay put while the relation between inputs and target moves. Only labelled
feedback shows it: :func:`performance_by_window` scores the model per time window, and a
sequential detector, :class:`PageHinkley`, watches the stream of errors (0/1 mistakes,
absolute errors, losses) and raises an alarm soon after their level rises.
:func:`detect_change` runs a detector over a whole stream.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> mistakes = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.5])
>>> 1000 <= detect_change(mistakes) < 1300
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np
import pandas as pd

from .errors import DriftInputError

__all__ = ["ChangeDetector", "PageHinkley", "detect_change", "performance_by_window"]


class ChangeDetector(Protocol):
    """A sequential detector: fed one value at a time, it says when the level has changed."""

    def update(self, x: float) -> bool:
        """Take the next value; return True when a change is detected."""


class PageHinkley:
    """Page-Hinkley test: alarm when the values rise persistently above their running mean.

    It accumulates ``x_t - mean_t - delta`` (the excess over the mean seen so far, minus a
    tolerance) and alarms when that sum climbs more than ``threshold`` above its lowest point.
    After an alarm it starts again from scratch, to detect the next change.

    Parameters
    ----------
    delta : float, default=0.005
        Tolerated increase per value; larger ignores slower drifts.
    threshold : float, default=50.0
        How far the cumulative excess must climb (in the unit of ``x``); larger gives fewer
        false alarms and later detections.
    min_samples : int, default=30
        No alarm before this many values.

    Examples
    --------
    >>> detector = PageHinkley(threshold=5, min_samples=5)
    >>> [detector.update(x) for x in [0, 0, 0, 0, 0, 0, 3, 3, 3]]
    [False, False, False, False, False, False, False, False, True]
    """

    def __init__(
        self, *, delta: float = 0.005, threshold: float = 50.0, min_samples: int = 30
    ) -> None:
        self.delta = delta
        self.threshold = threshold
        self.min_samples = min_samples
        self.reset()

    def reset(self) -> None:
        """Forget every value seen."""
        self.n = 0
        self.mean = 0.0
        self.cumulative = 0.0
        self.minimum = 0.0

    def update(self, x: float) -> bool:
        """Take the next value; return True when a rise is detected (then start afresh)."""
        self.n += 1
        self.mean += (x - self.mean) / self.n
        self.cumulative += x - self.mean - self.delta
        self.minimum = min(self.minimum, self.cumulative)
        if self.n >= self.min_samples and self.cumulative - self.minimum > self.threshold:
            self.reset()
            return True
        return False

    def __repr__(self) -> str:
        return (
            f"PageHinkley(delta={self.delta}, threshold={self.threshold}, "
            f"min_samples={self.min_samples})"
        )


def detect_change(stream: Iterable[float], detector: ChangeDetector | None = None) -> int | None:
    """Feed a stream to a detector and return where it first raised an alarm.

    Parameters
    ----------
    stream : iterable of float
        The errors in time order: 0/1 mistakes, absolute errors, losses...
    detector : object with ``update(x) -> bool``, default=None
        A fresh :class:`PageHinkley` with its defaults if None.

    Returns
    -------
    int or None
        The position (0-based) of the value at which the alarm was raised, or None if there
        was none. The detection delay is this position minus the position of the change.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> mistakes = np.concatenate([rng.random(500) < 0.1, rng.random(500) < 0.5])
    >>> detect_change(mistakes), detect_change(mistakes, PageHinkley(threshold=25))
    (634, 569)
    """
    detector = PageHinkley() if detector is None else detector
    for position, x in enumerate(stream):
        if detector.update(float(x)):
            return position
    return None


def performance_by_window(
    df: pd.DataFrame,
    time_col: str,
    y_true: str,
    y_pred: str,
    *,
    freq: str = "W",
    metric: str | None = None,
) -> pd.DataFrame:
    """Score predictions against the true labels in consecutive time windows.

    Parameters
    ----------
    df : pandas.DataFrame
        Labelled feedback: one row per prediction, with its time, true value and prediction.
    time_col : str
        Column of timestamps (datetimes or strings pandas can parse).
    y_true, y_pred : str
        Columns of true values and predictions.
    freq : str, default="W"
        Window length, a pandas frequency: ``"D"``, ``"W"``, ``"MS"`` (month starts)...
    metric : {"accuracy", "mae"}, default=None
        ``"accuracy"`` (share of exact matches) or ``"mae"`` (mean absolute error). By default
        ``"mae"`` when the true values are floats, else ``"accuracy"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by window start, with ``n`` (rows in the window) and the metric's column.
        Windows without rows are kept, with ``n`` 0 and the metric NaN.

    Raises
    ------
    DriftInputError
        If ``df`` is empty or lacks one of the columns, or ``metric`` is ``"mae"`` for
        non-numeric values.
    ValueError
        If ``metric`` is unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> feedback = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09"]),
    ...                          "y": ["a", "b", "a"], "p": ["a", "a", "a"]})
    >>> performance_by_window(feedback, "t", "y", "p", freq="W")["accuracy"].tolist()
    [0.5, 1.0]
    """
    missing = [c for c in (time_col, y_true, y_pred) if c not in df.columns]
    if missing:
        raise DriftInputError(f"The feedback lacks the columns {missing}.")
    if df.empty:
        raise DriftInputError("The feedback is empty: there is nothing to score.")
    if metric is None:
        metric = "mae" if pd.api.types.is_float_dtype(df[y_true]) else "accuracy"
    if metric == "accuracy":
        scores = (df[y_true].to_numpy() == df[y_pred].to_numpy()).astype(float)
    elif metric == "mae":
        try:
            scores = np.abs(df[y_true].to_numpy(dtype=float) - df[y_pred].to_numpy(dtype=float))
        except (TypeError, ValueError) as exc:
            raise DriftInputError(
                f"metric='mae' needs numbers in {y_true!r} and {y_pred!r} ({exc}); use "
                "metric='accuracy' for labels."
            ) from exc
    else:
        raise ValueError(f"metric must be 'accuracy' or 'mae', not {metric!r}.")
    frame = pd.DataFrame({metric: scores}, index=pd.DatetimeIndex(pd.to_datetime(df[time_col])))
    windows = frame.resample(freq)[metric]
    return pd.DataFrame({"n": windows.count(), metric: windows.mean()})
