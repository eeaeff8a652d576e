"""Turn two samples into what the drift statistics compare: clean values, counts and shares.

The statistics of :mod:`.statistics` and :func:`~.data_drift.detect_data_drift` share these
steps, so that both prepare a column exactly as Evidently does: missing values are dropped
(:func:`_present`), and for numbers infinite ones too (:func:`_finite`); categories are counted
over the union of both samples' values (:func:`_category_counts`); numeric columns with many
distinct values are binned with Sturges' rule over both samples, others compared value by value
(:func:`_shares`); empty bins get a small share where a logarithm follows (:func:`_fill_zeros`).

Examples
--------
>>> import pandas as pd
>>> _category_counts(pd.Series(["a", "b", "b"]), pd.Series(["b", "c"]))
   reference  current
a        1.0      0.0
b        2.0      1.0
c        0.0      1.0
>>> reference, current = _sample_shares([1, 1, 2, None], [2, 2, 2, 3], None, fill_zeros=False)
>>> reference.round(3).tolist(), current.tolist()
([0.667, 0.333, 0.0], [0.0, 0.75, 0.25])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import DriftInputError

# Evidently bins a numeric column for Jensen-Shannon and PSI when its reference has more
# distinct values than this; below, each distinct value is its own category.
_MAX_VALUES_AS_CATEGORIES = 20


def _finite(values: Any, side: str = "sample") -> np.ndarray:
    """Return the values as a float array without NaN and infinities."""
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DriftInputError(
            f"The {side} holds values that are not numbers ({exc}); this statistic needs "
            "numbers. Use chi_square_pvalue, z_test_pvalue, jensen_shannon_distance or psi "
            "for categories."
        ) from exc
    array = array[np.isfinite(array)]
    if array.size == 0:
        raise DriftInputError(f"The {side} has no finite value to compare.")
    return array


def _present(values: Any, side: str = "sample") -> pd.Series:
    """Return the values as a Series without missing values."""
    series = pd.Series(np.asarray(values).ravel() if not isinstance(values, pd.Series) else values)
    series = series.dropna()
    if series.empty:
        raise DriftInputError(f"The {side} has no value to compare (all are missing).")
    return series


def _is_numerical(values: pd.Series, kind: str | None) -> bool:
    if kind is None:
        return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if kind not in ("numerical", "categorical"):
        raise ValueError(f"kind must be 'numerical', 'categorical' or None, not {kind!r}.")
    return kind == "numerical"


def _category_counts(reference: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Count each value in both samples, over the union of their values (sorted if possible)."""
    table = pd.concat(
        [reference.value_counts(), current.value_counts()], axis=1, keys=["reference", "current"]
    ).fillna(0)
    table = table[table.sum(axis=1) > 0]  # a category dtype also lists values never seen
    try:
        return table.sort_index()
    except TypeError:  # values of several types that do not order, e.g. 1 and "a"
        return table


def _shares(
    reference: pd.Series, current: pd.Series, numerical: bool, fill_zeros: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each sample per bin (numeric, many values) or per value (Evidently's binning)."""
    if numerical and reference.nunique() > _MAX_VALUES_AS_CATEGORIES:
        ref, cur = reference.to_numpy(dtype=float), current.to_numpy(dtype=float)
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        ref_shares = np.histogram(ref, edges)[0] / ref.size
        cur_shares = np.histogram(cur, edges)[0] / cur.size
        if fill_zeros:
            return _fill_zeros(ref_shares), _fill_zeros(cur_shares)
        return ref_shares, cur_shares
    return _shares_from_counts(_category_counts(reference, current), fill_zeros)


def _shares_from_counts(counts: pd.DataFrame, fill_zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    ref_shares = counts["reference"].to_numpy() / counts["reference"].sum()
    cur_shares = counts["current"].to_numpy() / counts["current"].sum()
    if fill_zeros:
        return _fill_zeros(ref_shares), _fill_zeros(cur_shares)
    return ref_shares, cur_shares


def _fill_zeros(shares: np.ndarray) -> np.ndarray:
    # Evidently's rule: empty bins get 1e-4, or a millionth of the smallest share if that is
    # at most 1e-4, so that the logarithm in PSI stays finite.
    smallest = shares[shares > 0].min()
    return np.where(shares == 0, smallest / 1e6 if smallest <= 1e-4 else 1e-4, shares)


def _sample_shares(
    reference: Any, current: Any, kind: str | None, *, fill_zeros: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each sample per bin or value, from raw samples (missing values dropped).

    ``kind`` is ``"numerical"``, ``"categorical"`` or None (numbers are numerical, anything
    else, booleans included, categorical); numerical samples also lose their infinite values.
    """
    reference, current = _present(reference, "reference"), _present(current, "current")
    numerical = _is_numerical(reference, kind)
    if numerical:
        reference = pd.Series(_finite(reference, "reference"))
        current = pd.Series(_finite(current, "current"))
    return _shares(reference, current, numerical, fill_zeros)
