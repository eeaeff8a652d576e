"""The reference profile (what a model was trained on, per feature) and the rule records meet.

A float is a float: the request schema lets ``temp_max = 392.0`` through, and the model answers
it. Data quality compares each value with the *reference profile* of the package, made from the
reference sample stored with it (``reference_profile.json``, an artifact of the package written
by :func:`~.reference.save_reference` or ``save_model(..., reference=X)``): per numeric feature
its range, per categorical feature (strings, bools) the categories seen, and per feature the
share of the reference where it was missing. The service checks every record by this rule at
the door; the monitoring job checks the log by it.

The rule, per value:

* numeric: an issue when it lies outside ``[min - margin * (max - min), max + margin * (max -
  min)]``, the reference's range widened on each side by ``margin`` of its width (10 % by
  default). The reference is a sample: it rarely holds the training set's extremes, and a value
  just past them is no alarm (a tree ensemble predicts there as at the edge). A value far
  outside, a °F reading fed to a °C model, is. A constant feature's range has no width: any
  other value is an issue. A text in a numeric feature is an issue too.
* categorical: an issue when the category was never seen in the reference.
* missing (``None``/NaN): an issue when the feature was never missing in the reference (its
  ``missing`` share is 0). The schema lets a ``null`` through and a model that imputes, or a
  tree ensemble that routes NaN, answers it without a word; but a feature that was always there
  and now is not usually means a broken feed. A feature missing in part of the reference may be
  missing: the pipeline imputes it as it did in training. (A *rise* in that share is a matter
  for a window of records, not for one: see the monitoring job's ``flagged`` share.)

Features absent from the profile (or with no value in the reference) are not checked.

Examples
--------
>>> import pandas as pd
>>> reference = pd.DataFrame({"temp max": [-1.6, 20.0, 35.6], "weather": ["sun", "rain", "fog"]})
>>> profile = feature_profile(reference)
>>> quality_issues(pd.DataFrame({"temp max": [21.0, 3560.0, None],
...                              "weather": ["sun", "snow", "rain"]}), profile)
[[], ['temp max', 'weather'], ['temp max']]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidReferenceError

__all__ = [
    "DEFAULT_MARGIN",
    "check_reference_sample",
    "feature_profile",
    "quality_issues",
    "quality_reasons",
]

#: How far past the reference's range, as a share of its width, a value is still fine.
DEFAULT_MARGIN = 0.1


def check_reference_sample(X: Any, margin: float = DEFAULT_MARGIN) -> None:
    """Refuse a reference sample that is not a non-empty DataFrame, or a negative margin.

    Examples
    --------
    >>> check_reference_sample(pd.DataFrame({"x": [1.0]}), margin=-1)
    Traceback (most recent call last):
    ...
    prodml_workshop.packaging.errors.InvalidReferenceError: margin must be 0 or more (a share \
of the range), not -1.
    """
    if not isinstance(X, pd.DataFrame) or X.empty:
        raise InvalidReferenceError("The reference sample must be a non-empty pandas DataFrame.")
    if not margin >= 0:
        raise InvalidReferenceError(
            f"margin must be 0 or more (a share of the range), not {margin}."
        )


def _scalar(value: Any) -> Any:
    """A JSON-safe Python scalar: numpy scalars unwrapped, anything else exotic as text."""
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, str | bool | int | float) else str(value)


def _is_missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float | np.floating) and math.isnan(value))
    )


def _column_profile(column: pd.Series) -> dict[str, Any] | None:
    dtype = column.dtype
    missing = float(column.isna().mean())
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        values = values[np.isfinite(values)]
        if not len(values):
            return None
        low, high = values.min(), values.max()
        if pd.api.types.is_integer_dtype(dtype):
            return {"kind": "numeric", "min": int(low), "max": int(high), "missing": missing}
        return {"kind": "numeric", "min": float(low), "max": float(high), "missing": missing}
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    ):
        seen = {_scalar(v) for v in column.dropna().unique()}
        if isinstance(dtype, pd.CategoricalDtype):
            seen |= {_scalar(v) for v in dtype.categories}
        if not seen:
            return None
        categories = sorted(seen, key=lambda v: (str(v), repr(v)))
        return {"kind": "categorical", "categories": categories, "missing": missing}
    return None  # datetimes and other kinds: not checked


def feature_profile(X: pd.DataFrame, *, margin: float = DEFAULT_MARGIN) -> dict[str, Any]:
    """Record each feature's range (numeric) or categories (strings, bools, categoricals).

    Parameters
    ----------
    X : pandas.DataFrame
        The reference sample, one column per feature (any names, spaces included).
    margin : float, default=DEFAULT_MARGIN
        Stored in the profile: the share of a range's width a value may lie past it (see
        the module's rule).

    Returns
    -------
    dict
        JSON-safe: ``{"margin": ..., "n_rows": ..., "features": {name: {"kind": "numeric",
        "min": ..., "max": ..., "missing": ...} or {"kind": "categorical", "categories": [...],
        "missing": ...}}}``, ``missing`` being the share of rows where the feature is missing.
        A column with no value, or of another kind (datetimes), is left out: it is not checked.

    Raises
    ------
    InvalidReferenceError
        If ``X`` is not a non-empty DataFrame or ``margin`` is negative.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> X = pd.DataFrame({"n legs": np.array([2, 4], dtype=np.int16),
    ...                   "island": ["Dream", None], "when": pd.to_datetime(["2024-01-01"] * 2)})
    >>> feature_profile(X)["features"]
    {'n legs': {'kind': 'numeric', 'min': 2, 'max': 4, 'missing': 0.0}, 'island': {'kind': \
'categorical', 'categories': ['Dream'], 'missing': 0.5}}
    """
    check_reference_sample(X, margin)
    features = {}
    for name in X.columns:
        profile = _column_profile(X[name])
        if profile is not None:
            features[str(name)] = profile
    return {"margin": float(margin), "n_rows": len(X), "features": features}


def _missing_reason(spec: dict[str, Any]) -> str | None:
    """Why a missing value is an issue for this feature, or None when it may be missing."""
    return "missing, and never missing in the reference" if spec.get("missing") == 0 else None


def _numeric_reasons(column: pd.Series, spec: dict[str, Any], margin: float) -> list[str | None]:
    low, high = spec["min"], spec["max"]
    slack = margin * (high - low)
    numbers = pd.to_numeric(column.astype(object), errors="coerce")
    reasons: list[str | None] = []
    for value, number in zip(column.tolist(), numbers.tolist(), strict=True):
        if _is_missing(value):
            reasons.append(_missing_reason(spec))
        elif _is_missing(number) or isinstance(value, str):
            reasons.append(f"{value!r} is not a number")
        elif not low - slack <= number <= high + slack:
            reasons.append(f"{_scalar(value)!r} is outside the reference range [{low}, {high}]")
        else:
            reasons.append(None)
    return reasons


def _categorical_reasons(column: pd.Series, spec: dict[str, Any]) -> list[str | None]:
    known = set(spec["categories"])
    return [
        _missing_reason(spec)
        if _is_missing(value)
        else None
        if _scalar(value) in known
        else f"{_scalar(value)!r} is not a category of the reference"
        for value in column.tolist()
    ]


def quality_reasons(
    frame: pd.DataFrame, profile: dict[str, Any], *, margin: float | None = None
) -> list[dict[str, str]]:
    """Say, per row, which features are out of range, unseen or missing unlike the reference.

    Parameters
    ----------
    frame : pandas.DataFrame
        Records to check, one column per feature (others are ignored), e.g. a batch of
        requests or :func:`~prodml_workshop.monitoring.logged_inputs` of a prediction log.
    profile : dict
        From :func:`feature_profile` or :func:`~.reference.read_profile`.
    margin : float, default=None
        The profile's margin when ``None``.

    Returns
    -------
    list of dict
        One ``{feature: reason}`` per row, in the profile's feature order; empty when the row
        is clean.

    Examples
    --------
    >>> import pandas as pd
    >>> profile = feature_profile(pd.DataFrame({"x": [0.0, 10.0]}))
    >>> quality_reasons(pd.DataFrame({"x": [10.5, 1000.0]}), profile)
    [{}, {'x': '1000.0 is outside the reference range [0.0, 10.0]'}]
    >>> quality_reasons(pd.DataFrame({"x": [10.5]}), profile, margin=0)
    [{'x': '10.5 is outside the reference range [0.0, 10.0]'}]
    >>> quality_reasons(pd.DataFrame({"x": [None]}), profile)
    [{'x': 'missing, and never missing in the reference'}]
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidReferenceError(
            f"Pass the records as a pandas DataFrame, not {type(frame).__name__}."
        )
    margin = profile.get("margin", DEFAULT_MARGIN) if margin is None else margin
    reasons: list[dict[str, str]] = [{} for _ in range(len(frame))]
    for name, spec in profile["features"].items():
        if name not in frame.columns:
            continue
        column = frame[name]
        if spec["kind"] == "numeric":
            found = _numeric_reasons(column, spec, margin)
        else:
            found = _categorical_reasons(column, spec)
        for row, reason in zip(reasons, found, strict=True):
            if reason is not None:
                row[name] = reason
    return reasons


def quality_issues(
    frame: pd.DataFrame, profile: dict[str, Any], *, margin: float | None = None
) -> list[list[str]]:
    """List, per row, the features that are out of range, unseen or missing unlike the reference.

    Parameters
    ----------
    frame : pandas.DataFrame
        Records to check, one column per feature (others are ignored).
    profile : dict
        From :func:`feature_profile` or :func:`~.reference.read_profile`.
    margin : float, default=None
        The profile's margin when ``None``.

    Returns
    -------
    list of list of str
        One list of feature names per row, in the profile's order; ``[]`` when clean. The
        service writes them comma-separated in the ``quality`` column of its log.

    Examples
    --------
    >>> import pandas as pd
    >>> profile = feature_profile(pd.DataFrame({"x": [0.0, 10.0], "is wet": [True, True]}))
    >>> quality_issues(pd.DataFrame({"x": [5.0, -500.0], "is wet": [False, True]}), profile)
    [['is wet'], ['x']]
    """
    return [list(row) for row in quality_reasons(frame, profile, margin=margin)]
