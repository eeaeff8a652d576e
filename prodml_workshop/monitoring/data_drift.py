"""Data drift: has the distribution of the model's inputs moved since the reference?

:func:`detect_data_drift` runs one statistic per column, chosen as Evidently 0.7's
``DataDriftPreset`` chooses it by default, so that its verdicts match Evidently's on the same
data while running several times faster (columns are compared with numpy and scipy on whole
arrays; sorted once, never looped over row by row).

How Evidently picks the statistic (``get_stattest`` in its ``stattests/registry.py``), with
*n* the number of reference values and *k* the number of distinct values in both samples:

=================  ===================================  ===================================
column type        reference n <= 1000                  reference n > 1000
=================  ===================================  ===================================
numerical, k > 5   ``ks`` (p-value <= 0.05)             ``wasserstein`` normed (>= 0.1)
numerical, k <= 5  ``chisquare`` if k > 2, else ``z``   ``jensenshannon`` (>= 0.1)
categorical        ``chisquare`` if k > 2, else ``z``   ``jensenshannon`` (>= 0.1)
=================  ===================================  ===================================

The dataset drifts when at least half of the columns drift (``drift_share=0.5``).

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

from .drift_input import DriftInputError
from .statistics import (
    STAT_TESTS,
    _category_counts,
    _chi_square_from_counts,
    _finite,
    _jensen_shannon_from_shares,
    _psi_from_shares,
    _shares,
    _shares_from_counts,
    _wasserstein_normed_sorted,
    _z_test_from_counts,
    ks_pvalue,
)

__all__ = ["DataDriftResult", "default_test", "detect_data_drift", "infer_column_type"]

#: Evidently's limits: a reference of at most this many values counts as small...
_SMALL_REFERENCE = 1000
#: ...an integer column with at most this many distinct values is categorical...
_INTEGER_CARDINALITY_LIMIT = 10
#: ...and a numeric column with at most this many distinct values is compared as categories.
_FEW_VALUES = 5

_COMPARED_TYPES = ("numerical", "categorical")
_TABLE_COLUMNS = ["column", "type", "test", "statistic", "threshold", "drifted"]


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
    >>> result = detect_data_drift(reference, current)  # doctest: +SKIP
    >>> result.dataset_drift, result.drifted_columns  # doctest: +SKIP
    (True, ['temp_max', 'temp_min'])
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


def infer_column_type(values: pd.Series) -> str:
    """Tell how Evidently 0.7 would treat a column, from its dtype and distinct values.

    Parameters
    ----------
    values : pandas.Series
        The column (Evidently looks at the *current* data).

    Returns
    -------
    str
        ``"numerical"`` for floats and for integers with more than 10 distinct values;
        ``"categorical"`` for other integers, booleans, ``category`` dtype and strings with at
        most half of their values distinct; ``"text"`` for other strings; ``"datetime"``; or
        ``"unknown"`` (e.g. unsigned or nullable integers, which Evidently leaves out too).

    Examples
    --------
    >>> import pandas as pd
    >>> infer_column_type(pd.Series([1.5, 2.5])), infer_column_type(pd.Series([0, 1, 1]))
    ('numerical', 'categorical')
    """
    name = values.dtype.name
    if name.startswith("float"):
        return "numerical"
    if name.startswith("int"):
        return "categorical" if values.nunique() <= _INTEGER_CARDINALITY_LIMIT else "numerical"
    if name in ("bool", "category"):
        return "categorical"
    if name.startswith("datetime"):
        return "datetime"
    if name in ("string", "str", "object"):
        present = values.dropna()
        # Evidently looks at the first and last values only.
        ends_are_text = not present.empty and all(isinstance(v, str) for v in present.iloc[[0, -1]])
        if not ends_are_text:
            return "unknown"
        return "text" if values.nunique() > values.count() * 0.5 else "categorical"
    return "unknown"


def default_test(column_type: str, n_reference: int, n_values: int) -> str:
    """Name the statistic Evidently 0.7's ``DataDriftPreset`` uses by default for a column.

    Parameters
    ----------
    column_type : {"numerical", "categorical"}
        How the column is treated.
    n_reference : int
        Number of non-missing reference values.
    n_values : int
        Number of distinct values in the reference and current samples together.

    Returns
    -------
    str
        A key of :data:`STAT_TESTS`.

    Examples
    --------
    >>> default_test("numerical", 500, 300), default_test("numerical", 5000, 300)
    ('ks', 'wasserstein')
    >>> default_test("categorical", 500, 2), default_test("categorical", 5000, 3)
    ('z', 'jensenshannon')
    """
    if column_type not in _COMPARED_TYPES:
        raise ValueError(f"column_type must be one of {_COMPARED_TYPES}, not {column_type!r}.")
    many_values = column_type == "numerical" and n_values > _FEW_VALUES
    if n_reference <= _SMALL_REFERENCE:
        if many_values:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    return "wasserstein" if many_values else "jensenshannon"


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
        sample = _finite(values.to_numpy(), side)
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
        if n_values <= _FEW_VALUES:
            n_values = np.union1d(reference, current).size
        method = default_test("numerical", reference.size, n_values)
    if method == "ks":
        return method, ks_pvalue(reference, current)
    if method == "wasserstein":
        return method, _wasserstein_normed_sorted(reference, current)
    reference, current = pd.Series(reference), pd.Series(current)
    if method in ("chisquare", "z"):
        return method, _compare_counts(_category_counts(reference, current), method)
    fill_zeros = method == "psi"
    return method, _compare_shares(*_shares(reference, current, True, fill_zeros), method)


def _compare_categorical(
    reference: pd.Series, current: pd.Series, method: str | None, column: str
) -> tuple[str, float]:
    if method is not None and STAT_TESTS[method].numeric_only:
        raise DriftInputError(
            f"The {method!r} test needs numbers but column {column!r} is categorical; use "
            "'chisquare', 'z', 'jensenshannon' or 'psi', or pass column_types="
            f"{{{column!r}: 'numerical'}} if its values are numbers."
        )
    counts = _category_counts(reference, current)
    if method is None:
        method = default_test("categorical", len(reference), len(counts))
    if method in ("chisquare", "z"):
        return method, _compare_counts(counts, method)
    return method, _compare_shares(*_shares_from_counts(counts, method == "psi"), method)


def _compare_counts(counts: pd.DataFrame, method: str) -> float:
    if method == "chisquare":
        return _chi_square_from_counts(counts)
    return _z_test_from_counts(counts)


def _compare_shares(reference: np.ndarray, current: np.ndarray, method: str) -> float:
    if method == "jensenshannon":
        return _jensen_shannon_from_shares(reference, current)
    return _psi_from_shares(reference, current)


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


def _columns_to_compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str] | None,
    column_types: Mapping[str, str],
) -> list[tuple[str, str]]:
    """Return ``(column, type)`` pairs; without ``columns``, skip what Evidently skips."""
    if columns is None:
        only_reference = [c for c in reference.columns if c not in current.columns]
        only_current = [c for c in current.columns if c not in reference.columns]
        if only_reference or only_current:
            raise DriftInputError(
                f"The frames have different columns: only in the reference {only_reference}, "
                f"only in the current data {only_current}. Pass columns=[...] to compare the "
                "shared ones."
            )
        candidates = list(current.columns)
    else:
        candidates = list(columns)
        for side, frame in (("reference", reference), ("current", current)):
            missing = [c for c in candidates if c not in frame.columns]
            if missing:
                raise DriftInputError(f"Columns {missing} are missing from the {side} data.")
    pairs = []
    for column in candidates:
        kind = column_types.get(column) or infer_column_type(current[column])
        if kind == "text":
            raise DriftInputError(
                f"Column {column!r} looks like free text (more than half of its values are "
                "distinct), which needs a text drift method; pass column_types="
                f"{{{column!r}: 'categorical'}} to compare its values, or leave it out."
            )
        if kind in _COMPARED_TYPES:
            pairs.append((column, kind))
        elif columns is not None:
            raise DriftInputError(
                f"Column {column!r} is {kind} ({current[column].dtype}), not numerical or "
                f"categorical; pass column_types={{{column!r}: ...}} or leave it out."
            )
    if not pairs:
        raise DriftInputError(
            "No numerical or categorical column to compare (datetime and unknown columns are "
            "left out)."
        )
    return pairs


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

    Each column gets one statistic (see the table in this module's docstring, or
    :func:`default_test`), computed on its non-missing, finite values. Column types are
    inferred from the current data as Evidently does (:func:`infer_column_type`).

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
    bad_types = {c: t for c, t in (column_types or {}).items() if t not in _COMPARED_TYPES}
    if bad_types:
        raise ValueError(f"column_types values must be one of {_COMPARED_TYPES}: {bad_types}.")
    _check_frames(reference, current)
    rows = []
    for column, kind in _columns_to_compare(reference, current, columns, column_types or {}):
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
    table = pd.DataFrame(rows, columns=_TABLE_COLUMNS).astype({"drifted": bool})
    return DataDriftResult(table, drift_share)
