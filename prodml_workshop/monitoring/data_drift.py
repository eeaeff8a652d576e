"""Data drift: has the distribution of the model's inputs moved since the reference?

:func:`detect_data_drift` runs one statistic per column, chosen as Evidently 0.7's
``DataDriftPreset`` chooses it by default, so that its verdicts match Evidently's on the same
data while running several times faster (columns are compared with numpy and scipy on whole
arrays; sorted once, never looped over row by row).

Which columns are compared, as what type and with which statistic, is decided in
:mod:`.column_choice` (Evidently's choices, tabled there); the statistics are those of
:mod:`.statistics`, computed on counts and shares prepared once per column
(:mod:`.binning`). The dataset drifts when at least half of the columns drift
(``drift_share=0.5``).

Examples
--------
>>> from prodml_workshop.data import load_seattle_weather
>>> weather = load_seattle_weather()
>>> result = detect_data_drift(weather[:365], weather[-365:])
>>> list(result.table.columns)
['column', 'type', 'test', 'statistic', 'threshold', 'drifted']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .binning import binned_shares, category_counts, finite_values, shares_from_counts
from .column_choice import COMPARED_TYPES, FEW_VALUES, columns_to_compare, default_test
from .errors import DriftInputError
from .statistics import (
    STAT_TESTS,
    chi_square_pvalue_from_counts,
    jensen_shannon_from_shares,
    ks_pvalue,
    psi_from_shares,
    wasserstein_normed_sorted,
    z_test_pvalue_from_counts,
)

__all__ = ["TABLE_COLUMNS", "DataDriftResult", "detect_data_drift"]

#: The columns of :attr:`DataDriftResult.table`, in order.
TABLE_COLUMNS = ["column", "type", "test", "statistic", "threshold", "drifted"]


@dataclass(frozen=True)
class DataDriftResult:
    """The verdict of a data drift check, per column and for the whole dataset.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per column compared, with ``column``, ``type`` (``"numerical"`` or
        ``"categorical"``), ``test`` (a name of :data:`STAT_TESTS`), ``statistic`` (the
        p-value of a test, or the distance), ``threshold`` and ``drifted`` (bool).
    drift_share : float
        The share of drifted columns from which the dataset counts as drifted.

    Examples
    --------
    >>> table = pd.DataFrame(
    ...     {
    ...         "column": ["temp_max", "weather"],
    ...         "type": ["numerical", "categorical"],
    ...         "test": ["ks", "chisquare"],
    ...         "statistic": [0.001, 0.4],
    ...         "threshold": [0.05, 0.05],
    ...         "drifted": [True, False],
    ...     }
    ... )
    >>> result = DataDriftResult(table)
    >>> result.dataset_drift, result.drifted_columns
    (True, ['temp_max'])
    """

    table: pd.DataFrame
    drift_share: float = 0.5

    @property
    def n_drifted(self) -> int:
        """Number of drifted columns."""
        return int(self.table["drifted"].sum())

    @property
    def share_drifted(self) -> float:
        """Share of the compared columns that drifted."""
        return self.n_drifted / len(self.table)

    @property
    def dataset_drift(self) -> bool:
        """Whether the share of drifted columns reaches ``drift_share``."""
        return self.share_drifted >= self.drift_share

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the drifted columns, in table order."""
        return self.table.loc[self.table["drifted"], "column"].tolist()

    def summary(self) -> str:
        """Return a few lines saying what drifted, with each column's test and statistic."""
        verdict = "DRIFT" if self.dataset_drift else "no drift"
        lines = [
            f"Dataset: {verdict} ({self.n_drifted} of {len(self.table)} columns drifted, "
            f"share {self.share_drifted:.2f}, limit {self.drift_share:.2f})"
        ]
        for row in self.table.itertuples(index=False):
            mark = "drift" if row.drifted else "ok"
            lines.append(
                f"  {row.column}: {mark:5}  {row.test} = {row.statistic:.4g} "
                f"(threshold {row.threshold:g})"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"DataDriftResult(dataset_drift={self.dataset_drift}, "
            f"drifted={self.n_drifted}/{len(self.table)}, columns={self.drifted_columns})"
        )


def _n_distinct_sorted(values: np.ndarray) -> int:
    return 1 + int(np.count_nonzero(values[1:] != values[:-1]))


def _numeric_sample(frame: pd.DataFrame, column: str, side: str) -> np.ndarray:
    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values):
        raise DriftInputError(
            f"Column {column!r} is compared as numerical but the {side} holds {values.dtype} "
            f"values; convert it to numbers or pass column_types={{{column!r}: 'categorical'}}."
        )
    try:
        sample = finite_values(values.to_numpy(), side)
    except DriftInputError as exc:
        raise DriftInputError(
            f"Column {column!r} has no finite value in the {side}; drop the column or fix its data."
        ) from exc
    sample.sort()
    return sample


def _categorical_sample(frame: pd.DataFrame, column: str, side: str) -> pd.Series:
    values = frame[column].dropna()
    if values.empty:
        raise DriftInputError(
            f"Column {column!r} has only missing values in the {side}; drop the column or fix "
            "its data."
        )
    return values


def _compare_numerical(
    reference: np.ndarray, current: np.ndarray, method: str | None
) -> tuple[str, float]:
    if method is None:
        # The union has more than 5 distinct values as soon as either side has.
        n_values = max(_n_distinct_sorted(reference), _n_distinct_sorted(current))
        if n_values <= FEW_VALUES:
            n_values = np.union1d(reference, current).size
        method = default_test("numerical", reference.size, n_values)
    if method == "ks":
        return method, ks_pvalue(reference, current)
    if method == "wasserstein":
        return method, wasserstein_normed_sorted(reference, current)
    reference, current = pd.Series(reference), pd.Series(current)
    if method in ("chisquare", "z"):
        return method, _compare_counts(category_counts(reference, current), method)
    fill_zeros = method == "psi"
    return method, _compare_shares(*binned_shares(reference, current, True, fill_zeros), method)


def _compare_categorical(
    reference: pd.Series, current: pd.Series, method: str | None, column: str
) -> tuple[str, float]:
    if method is not None and STAT_TESTS[method].numeric_only:
        raise DriftInputError(
            f"The {method!r} test needs numbers but column {column!r} is categorical; use "
            "'chisquare', 'z', 'jensenshannon' or 'psi', or pass column_types="
            f"{{{column!r}: 'numerical'}} if its values are numbers."
        )
    counts = category_counts(reference, current)
    if method is None:
        method = default_test("categorical", len(reference), len(counts))
    if method in ("chisquare", "z"):
        return method, _compare_counts(counts, method)
    return method, _compare_shares(*shares_from_counts(counts, method == "psi"), method)


def _compare_counts(counts: pd.DataFrame, method: str) -> float:
    if method == "chisquare":
        return chi_square_pvalue_from_counts(counts)
    return z_test_pvalue_from_counts(counts)


def _compare_shares(reference: np.ndarray, current: np.ndarray, method: str) -> float:
    if method == "jensenshannon":
        return jensen_shannon_from_shares(reference, current)
    return psi_from_shares(reference, current)


def _check_frames(reference: pd.DataFrame, current: pd.DataFrame) -> None:
    for side, frame in (("reference", reference), ("current", current)):
        if not isinstance(frame, pd.DataFrame):
            raise DriftInputError(
                f"The {side} data must be a pandas DataFrame, not {type(frame).__name__}."
            )
        if frame.empty:
            raise DriftInputError(
                f"The {side} data is empty ({frame.shape[0]} rows, {frame.shape[1]} columns); "
                "drift needs rows on both sides."
            )


def detect_data_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    column_types: Mapping[str, str] | None = None,
    method: str | None = None,
    threshold: float | None = None,
    drift_share: float = 0.5,
) -> DataDriftResult:
    """Compare each column's distribution in ``current`` with ``reference``, like Evidently.

    Each column gets one statistic (see the table in :mod:`.column_choice`, or
    :func:`~.column_choice.default_test`), computed on its non-missing, finite values. Column
    types are inferred from the current data as Evidently does
    (:func:`~.column_choice.infer_column_type`).

    Parameters
    ----------
    reference : pandas.DataFrame
        The data the model was built or validated on.
    current : pandas.DataFrame
        The data to check, e.g. last week's requests.
    columns : sequence of str, default=None
        Columns to compare. By default all numerical and categorical columns; datetime and
        other columns are left out, and both frames must have the same columns.
    column_types : mapping of str to {"numerical", "categorical"}, default=None
        Types that override the inferred ones, e.g. ``{"zip_code": "categorical"}``.
    method : str, default=None
        One statistic of :data:`STAT_TESTS` for every column instead of the default choice.
    threshold : float, default=None
        One threshold for every column instead of each statistic's default.
    drift_share : float, default=0.5
        The dataset drifts when at least this share of the columns drift.

    Returns
    -------
    DataDriftResult
        ``table`` (one row per column: ``column, type, test, statistic, threshold,
        drifted``), ``dataset_drift``, ``share_drifted``, ``drifted_columns`` and
        ``summary()``.

    Raises
    ------
    DriftInputError
        If a frame is empty, the columns do not match, a column has no usable value, a column
        is free text, or a numeric statistic is asked for a column that is not numeric.
    ValueError
        If ``method`` is not a key of :data:`STAT_TESTS`, or a ``column_types`` value is
        neither ``"numerical"`` nor ``"categorical"``.

    Examples
    --------
    >>> from prodml_workshop.data import load_seattle_weather
    >>> weather = load_seattle_weather()
    >>> winter, summer = weather[weather.date.dt.month == 1], weather[weather.date.dt.month == 7]
    >>> detect_data_drift(winter, summer).drifted_columns
    ['precipitation', 'temp_max', 'temp_min', 'wind', 'weather']
    """
    if method is not None and method not in STAT_TESTS:
        raise ValueError(f"Unknown method {method!r}; choose one of {sorted(STAT_TESTS)}.")
    bad_types = {c: t for c, t in (column_types or {}).items() if t not in COMPARED_TYPES}
    if bad_types:
        raise ValueError(f"column_types values must be one of {COMPARED_TYPES}: {bad_types}.")
    _check_frames(reference, current)
    rows = []
    for column, kind in columns_to_compare(reference, current, columns, column_types or {}):
        if kind == "numerical":
            test, statistic = _compare_numerical(
                _numeric_sample(reference, column, "reference"),
                _numeric_sample(current, column, "current"),
                method,
            )
        else:
            test, statistic = _compare_categorical(
                _categorical_sample(reference, column, "reference"),
                _categorical_sample(current, column, "current"),
                method,
                column,
            )
        limit = STAT_TESTS[test].default_threshold if threshold is None else threshold
        rows.append(
            (column, kind, test, statistic, limit, STAT_TESTS[test].is_drift(statistic, limit))
        )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS).astype({"drifted": bool})
    return DataDriftResult(table, drift_share)
