"""Bin two samples alike for the drift statistics: clean values, counts and shares.

The statistics of :mod:`.statistics` and :func:`~.data_drift.detect_data_drift` share these
steps, so that both prepare a column exactly as Evidently does: missing values are dropped
(:func:`present_values`), and for numbers infinite ones too (:func:`finite_values`); categories
are counted over the union of both samples' values (:func:`category_counts`); numeric columns
with many distinct values are binned with Sturges' rule over both samples, others compared value
by value (:func:`binned_shares`); empty bins get a small share where a logarithm follows.

Examples
--------
>>> import pandas as pd
>>> category_counts(pd.Series(["a", "b", "b"]), pd.Series(["b", "c"]))
   reference  current
a        1.0      0.0
b        2.0      1.0
c        0.0      1.0
>>> reference, current = sample_shares([1, 1, 2, None], [2, 2, 2, 3], None, fill_zeros=False)
>>> reference.round(3).tolist(), current.tolist()
([0.667, 0.333, 0.0], [0.0, 0.75, 0.25])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import DriftInputError

__all__ = [
    "binned_shares",
    "category_counts",
    "finite_values",
    "present_values",
    "sample_shares",
    "shares_from_counts",
]

# Evidently bins a numeric column for Jensen-Shannon and PSI when its reference has more
# distinct values than this; below, each distinct value is its own category.
_MAX_VALUES_AS_CATEGORIES = 20


def finite_values(values: Any, side: str = "sample") -> np.ndarray:
    """Return the values as a float array without NaN and infinities.

    Parameters
    ----------
    values : array-like of numbers
        One sample.
    side : str, default="sample"
        What the sample is (``"reference"``, ``"current"``), named in the errors.

    Returns
    -------
    numpy.ndarray
        The finite values, flattened, as floats.

    Raises
    ------
    DriftInputError
        If a value is not a number, or no value is finite.

    Examples
    --------
    >>> finite_values([1, float("nan"), float("inf"), 2])
    array([1., 2.])
    """
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


def present_values(values: Any, side: str = "sample") -> pd.Series:
    """Return the values as a Series without missing values.

    Parameters
    ----------
    values : array-like or pandas.Series
        One sample, numbers or categories.
    side : str, default="sample"
        What the sample is (``"reference"``, ``"current"``), named in the errors.

    Returns
    -------
    pandas.Series
        The values that are not missing (NaN, None).

    Raises
    ------
    DriftInputError
        If every value is missing.

    Examples
    --------
    >>> present_values(["a", None, "b"]).tolist()
    ['a', 'b']
    """
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


def category_counts(reference: pd.Series, current: pd.Series) -> pd.DataFrame:
    """Count each value in both samples, over the union of their values (sorted if possible).

    Parameters
    ----------
    reference, current : pandas.Series
        The two samples, without missing values.

    Returns
    -------
    pandas.DataFrame
        One row per value seen on either side, columns ``reference`` and ``current`` (counts,
        0 where a side never has the value).

    Examples
    --------
    >>> category_counts(pd.Series([1, 1, 2]), pd.Series([2, 3]))["current"].tolist()
    [0.0, 1.0, 1.0]
    """
    table = pd.concat(
        [reference.value_counts(), current.value_counts()], axis=1, keys=["reference", "current"]
    ).fillna(0)
    table = table[table.sum(axis=1) > 0]  # a category dtype also lists values never seen
    try:
        return table.sort_index()
    except TypeError:  # values of several types that do not order, e.g. 1 and "a"
        return table


def binned_shares(
    reference: pd.Series, current: pd.Series, numerical: bool, fill_zeros: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each sample per bin (numeric, many values) or per value (Evidently's binning).

    Parameters
    ----------
    reference, current : pandas.Series
        The two samples, without missing (and, if numerical, infinite) values.
    numerical : bool
        Whether the values are numbers; a numeric reference with more than 20 distinct values
        is binned with Sturges' rule over both samples, anything else compared value by value.
    fill_zeros : bool
        Whether an empty bin gets a small share instead of 0 (for a logarithm, as in PSI).

    Returns
    -------
    tuple of numpy.ndarray
        The reference's and the current sample's shares, over the same bins or values.

    Examples
    --------
    >>> reference, current = binned_shares(pd.Series([0, 0, 1]), pd.Series([1]), True, False)
    >>> reference.round(3).tolist(), current.tolist()
    ([0.667, 0.333], [0.0, 1.0])
    """
    if numerical and reference.nunique() > _MAX_VALUES_AS_CATEGORIES:
        ref, cur = reference.to_numpy(dtype=float), current.to_numpy(dtype=float)
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        ref_shares = np.histogram(ref, edges)[0] / ref.size
        cur_shares = np.histogram(cur, edges)[0] / cur.size
        if fill_zeros:
            return _fill_zeros(ref_shares), _fill_zeros(cur_shares)
        return ref_shares, cur_shares
    return shares_from_counts(category_counts(reference, current), fill_zeros)


def shares_from_counts(counts: pd.DataFrame, fill_zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    """Turn the counts of :func:`category_counts` into each side's shares.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``reference`` and ``current``, one row per value.
    fill_zeros : bool
        Whether a value absent from one side gets a small share instead of 0.

    Returns
    -------
    tuple of numpy.ndarray
        The reference's and the current sample's shares, each summing to 1 (before filling).

    Examples
    --------
    >>> counts = pd.DataFrame({"reference": [3.0, 1.0], "current": [0.0, 2.0]})
    >>> [side.tolist() for side in shares_from_counts(counts, fill_zeros=True)]
    [[0.75, 0.25], [0.0001, 1.0]]
    """
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


def sample_shares(
    reference: Any, current: Any, kind: str | None, *, fill_zeros: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each sample per bin or value, from raw samples (missing values dropped).

    Parameters
    ----------
    reference, current : array-like
        The two samples as given; numerical samples also lose their infinite values.
    kind : {"numerical", "categorical"} or None
        How to treat the values; None: numbers are numerical, anything else (booleans
        included) categorical.
    fill_zeros : bool
        As for :func:`binned_shares`.

    Returns
    -------
    tuple of numpy.ndarray
        The reference's and the current sample's shares, over the same bins or values.

    Raises
    ------
    DriftInputError
        If a sample has no value, or a numerical sample holds non-numbers.
    ValueError
        If ``kind`` is none of the above.

    Examples
    --------
    >>> [side.tolist() for side in sample_shares(["a", "b"], ["b"], None, fill_zeros=False)]
    [[0.5, 0.5], [0.0, 1.0]]
    """
    reference, current = present_values(reference, "reference"), present_values(current, "current")
    numerical = _is_numerical(reference, kind)
    if numerical:
        reference = pd.Series(finite_values(reference, "reference"))
        current = pd.Series(finite_values(current, "current"))
    return binned_shares(reference, current, numerical, fill_zeros)
