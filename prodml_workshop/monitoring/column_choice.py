"""Which columns a drift check compares, as what type, and with which statistic.

Evidently 0.7's ``DataDriftPreset`` decides, for each column, a type from the *current* data
(:func:`infer_column_type`: numerical, categorical, or left out) and then a statistic
(:func:`default_test`, after ``get_stattest`` in its ``stattests/registry.py``), with *n* the
number of reference values and *k* the number of distinct values in both samples:

=================  ===================================  ===================================
column type        reference n <= 1000                  reference n > 1000
=================  ===================================  ===================================
numerical, k > 5   ``ks`` (p-value <= 0.05)             ``wasserstein`` normed (>= 0.1)
numerical, k <= 5  ``chisquare`` if k > 2, else ``z``   ``jensenshannon`` (>= 0.1)
categorical        ``chisquare`` if k > 2, else ``z``   ``jensenshannon`` (>= 0.1)
=================  ===================================  ===================================

:func:`~.data_drift.detect_data_drift` follows these choices, so that its verdicts match
Evidently's on the same data.

Examples
--------
>>> import pandas as pd
>>> temperature = pd.Series([11.2, 12.5, 9.8, 14.1, 13.0, 10.4])
>>> kind = infer_column_type(temperature)
>>> kind, default_test(kind, n_reference=365, n_values=temperature.nunique())
('numerical', 'ks')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from .errors import DriftInputError

__all__ = [
    "COMPARED_TYPES",
    "FEW_VALUES",
    "columns_to_compare",
    "default_test",
    "infer_column_type",
]

#: Evidently's limits: a reference of at most this many values counts as small...
_SMALL_REFERENCE = 1000
#: ...an integer column with at most this many distinct values is categorical...
_INTEGER_CARDINALITY_LIMIT = 10
#: ...and a numeric column with at most this many distinct values is compared as categories.
FEW_VALUES = 5

#: The column types a drift check compares; others (text, datetime, unknown) are left out.
COMPARED_TYPES = ("numerical", "categorical")


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
    if column_type not in COMPARED_TYPES:
        raise ValueError(f"column_type must be one of {COMPARED_TYPES}, not {column_type!r}.")
    many_values = column_type == "numerical" and n_values > FEW_VALUES
    if n_reference <= _SMALL_REFERENCE:
        if many_values:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    return "wasserstein" if many_values else "jensenshannon"


def columns_to_compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str] | None,
    column_types: Mapping[str, str],
) -> list[tuple[str, str]]:
    """Say which columns a drift check compares, and as what type.

    Parameters
    ----------
    reference, current : pandas.DataFrame
        The two samples.
    columns : sequence of str or None
        The columns asked for; None: every column both frames hold, except those Evidently
        leaves out (datetime, unknown).
    column_types : mapping of str to {"numerical", "categorical"}
        Types that override :func:`infer_column_type` (read from the current data).

    Returns
    -------
    list of (str, str)
        ``(column, type)`` pairs, in the order of ``columns`` or of the current frame.

    Raises
    ------
    DriftInputError
        If the frames' columns differ (without ``columns``), an asked column is missing or
        cannot be compared, a column is free text, or nothing is left to compare.

    Examples
    --------
    >>> frame = pd.DataFrame({"t": [1.5, 2.5], "day": pd.to_datetime(["2024-01-01"] * 2)})
    >>> columns_to_compare(frame, frame, None, {})
    [('t', 'numerical')]
    """
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
        if kind in COMPARED_TYPES:
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
