"""Compare a student's value with the reference: type-true, with a tolerance on numbers.

A number is a number (``int``, ``float`` or a numpy scalar, never a string or a bool), a set is a
set, a dict a dict; a sequence may be a list, a tuple or an array. A failed comparison raises
:class:`Incorrect` with a message that names the expected type, and with ``reveal=False`` says
how a value is wrong (too high, too low) without giving the expected value away.
:func:`unchanged` tells whether a student's function changed its input in place.
"""

from __future__ import annotations

import math
import numbers
import pickle
from collections.abc import Mapping, Sequence, Set
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Incorrect", "NotAttempted", "assert_close", "assert_type", "type_name", "unchanged"]


class Incorrect(AssertionError):
    """Raised inside a check to say what is wrong with an answer: a failed assertion."""


class NotAttempted(NotImplementedError):
    """Raised inside a check when the answer is still a blank or an untouched stub."""


# What each kind accepts, and how a message names it.
_KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "number": ((numbers.Real,), "a number (int or float)"),
    "integer": ((numbers.Integral,), "a whole number (int)"),
    "bool": ((bool, np.bool_), "True or False (a bool)"),
    "str": ((str,), "a str"),
    "set": ((Set,), "a set"),
    "dict": ((Mapping,), "a dict"),
    "list": ((Sequence, np.ndarray), "a list"),
    "dataframe": ((pd.DataFrame,), "a pandas DataFrame"),
    "series": ((pd.Series,), "a pandas Series"),
    "callable": ((), "a function"),
}


def type_name(value: Any) -> str:
    """Name the type of ``value`` as a message shows it.

    Examples
    --------
    >>> type_name("0.2"), type_name(0.2), type_name(None), type_name({1})
    ("str '0.2'", 'float', 'None', 'set')
    """
    if value is None:
        return "None"
    name = type(value).__name__
    if isinstance(value, str | bytes):
        shown = repr(value)
        return f"{name} {shown if len(shown) <= 30 else shown[:27] + '...'}"
    return name


def _is(value: Any, kind: str) -> bool:
    if kind == "callable":
        return callable(value)
    if kind in ("number", "integer") and isinstance(value, bool | np.bool_):
        return False
    if kind == "list" and isinstance(value, str | bytes):
        return False
    return isinstance(value, _KINDS[kind][0])


def assert_type(actual: Any, kind: str, *, what: str = "the answer") -> None:
    """Check that ``actual`` is of a kind: ``"number"``, ``"integer"``, ``"bool"``, ``"str"``,
    ``"set"``, ``"dict"``, ``"list"``, ``"dataframe"``, ``"series"`` or ``"callable"``.

    Numbers include numpy scalars but not bools or strings; a list may be a tuple or an array.

    Parameters
    ----------
    actual : object
        The student's value.
    kind : str
        The kind expected.
    what : str, default="the answer"
        How to name the value in the message.

    Raises
    ------
    Incorrect
        Naming the kind expected and the type found.

    Examples
    --------
    >>> assert_type(np.float64(0.2), "number")
    >>> assert_type("0.2", "number", what="`psi`")
    Traceback (most recent call last):
    ...
    prodml_workshop.exercises.comparisons.Incorrect: `psi` should be a number (int or float), \
got str '0.2'.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {sorted(_KINDS)}.")
    if not _is(actual, kind):
        raise Incorrect(f"{what} should be {_KINDS[kind][1]}, got {type_name(actual)}.")


def _items(values: Set) -> str:
    return ", ".join(sorted(map(repr, values)))


def _wrong_number(actual: Any, expected: Any, what: str, reveal: bool) -> Incorrect:
    if reveal:
        return Incorrect(f"{what} is {actual!r}, expected {expected!r}.")
    if math.isnan(actual) or math.isnan(expected):
        return Incorrect(f"{what} is {actual!r}, which is not the value expected.")
    side = "too high" if actual > expected else "too low"
    return Incorrect(f"{what} is {actual!r}: {side}.")


def assert_close(
    actual: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    what: str = "the answer",
    reveal: bool = True,
) -> None:
    """Compare an answer with the expected value, type-true, with a tolerance on numbers.

    The type expected is the kind of ``expected``: a number (``int``, ``float`` or numpy
    scalar; not a string or a bool), a bool, a str, ``None``, a set, a dict, a sequence (list,
    tuple or array), a pandas DataFrame or Series. Numbers compare with a relative tolerance;
    containers compare element by element.

    Parameters
    ----------
    actual : object
        The student's value.
    expected : object
        The reference value.
    rtol : float, default=1e-6
        Relative tolerance for numbers.
    what : str, default="the answer"
        How to name the value in the message.
    reveal : bool, default=True
        Whether a message may show expected values. ``False`` for a question whose answer is
        the value itself: a wrong number is then "too high" or "too low", a wrong set says how
        many items are missing or unexpected, not which.

    Raises
    ------
    Incorrect
        With a message saying where the values differ, or which type was expected.

    Examples
    --------
    >>> assert_close(0.1 + 0.2, 0.3)
    >>> assert_close([1, 2], [1, 3], what="the list")
    Traceback (most recent call last):
    ...
    prodml_workshop.exercises.comparisons.Incorrect: the list[1] is 2, expected 3.
    >>> assert_close(12, 11, what="`n`", reveal=False)
    Traceback (most recent call last):
    ...
    prodml_workshop.exercises.comparisons.Incorrect: `n` is 12: too high.
    >>> assert_close(["a", "b"], {"a", "b"}, what="`drifted`")
    Traceback (most recent call last):
    ...
    prodml_workshop.exercises.comparisons.Incorrect: `drifted` should be a set, got list.
    """
    if isinstance(expected, pd.DataFrame | pd.Series):
        kind = "dataframe" if isinstance(expected, pd.DataFrame) else "series"
        assert_type(actual, kind, what=what)
        check = (
            pd.testing.assert_frame_equal if kind == "dataframe" else pd.testing.assert_series_equal
        )
        try:
            check(actual, expected, check_dtype=False, rtol=rtol)
        except AssertionError as err:
            detail = f": {err}" if reveal else "."
            raise Incorrect(f"{what} differs from the expected one{detail}") from None
        return
    if expected is None:
        if actual is not None:
            raise Incorrect(f"{what} is {actual!r}, expected None.")
        return
    for kind, types in (("bool", (bool, np.bool_)), ("str", (str,))):
        if isinstance(expected, types):
            assert_type(actual, kind, what=what)
            if actual != expected:
                shown = (
                    f", expected {expected!r}" if reveal else ", which is not the value expected"
                )
                raise Incorrect(f"{what} is {actual!r}{shown}.")
            return
    if isinstance(expected, numbers.Real):
        assert_type(actual, "number", what=what)
        if math.isnan(expected) and math.isnan(actual):
            return
        if not math.isclose(actual, expected, rel_tol=rtol, abs_tol=1e-12):
            raise _wrong_number(actual, expected, what, reveal)
        return
    if isinstance(expected, Set):
        assert_type(actual, "set", what=what)
        missing, extra = set(expected) - set(actual), set(actual) - set(expected)
        if missing or extra:
            if reveal:
                parts = [f"misses {_items(missing)}"] if missing else []
                parts += [f"should not hold {_items(extra)}"] if extra else []
            else:
                parts = [f"misses {len(missing)} item(s)"] if missing else []
                parts += [f"holds {len(extra)} item(s) it should not"] if extra else []
            raise Incorrect(f"{what} {' and '.join(parts)}.")
        return
    if isinstance(expected, Mapping):
        assert_type(actual, "dict", what=what)
        if set(actual) != set(expected):
            missing, extra = set(expected) - set(actual), set(actual) - set(expected)
            raise Incorrect(
                f"{what} has the wrong keys: missing {sorted(map(str, missing))}, "
                f"unexpected {sorted(map(str, extra))}."
            )
        for key in expected:
            assert_close(
                actual[key], expected[key], rtol=rtol, what=f"{what}[{key!r}]", reveal=reveal
            )
        return
    if isinstance(expected, np.ndarray | Sequence):
        assert_type(actual, "list", what=what)
        if len(actual) != len(expected):
            raise Incorrect(f"{what} has {len(actual)} items, expected {len(expected)}.")
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, rtol=rtol, what=f"{what}[{i}]", reveal=reveal)
        return
    if actual != expected:
        shown = f", expected {expected!r}" if reveal else ", which is not the value expected"
        raise Incorrect(f"{what} is {actual!r}{shown}.")


def unchanged(before: Any, after: Any) -> bool:
    """Tell whether ``after`` still holds what ``before`` holds (a copy made before a call).

    Pandas objects and arrays compare by values, dtypes and labels (NaN equal to NaN);
    containers element by element; objects without their own ``==`` (a fitted model) by their
    pickled bytes. A value that can be compared none of these ways counts as unchanged.

    Parameters
    ----------
    before : object
        A deep copy taken before the student's function ran.
    after : object
        The object the function received.

    Returns
    -------
    bool

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, None]})
    >>> unchanged(df.copy(), df)
    True
    >>> copy = df.copy()
    >>> _ = df.fillna(0, inplace=True)
    >>> unchanged(copy, df)
    False
    """
    if type(before) is not type(after):
        return False
    if isinstance(before, pd.Index):
        return before.dtype == after.dtype and before.names == after.names and before.equals(after)
    if isinstance(before, pd.DataFrame):
        return (
            before.dtypes.equals(after.dtypes)
            and unchanged(before.columns, after.columns)
            and unchanged(before.index, after.index)
            and before.equals(after)
        )
    if isinstance(before, pd.Series):
        return (
            before.dtype == after.dtype
            and before.name == after.name
            and unchanged(before.index, after.index)
            and before.equals(after)
        )
    if isinstance(before, np.ndarray):
        if before.shape != after.shape or before.dtype != after.dtype:
            return False
        try:
            return bool(np.array_equal(before, after, equal_nan=True))
        except TypeError:  # object arrays cannot test for NaN
            return all(unchanged(b, a) for b, a in zip(before.ravel(), after.ravel(), strict=True))
    if isinstance(before, float) and math.isnan(before):
        return math.isnan(after)
    if isinstance(before, Mapping):
        return list(before) == list(after) and all(unchanged(before[k], after[k]) for k in before)
    if isinstance(before, list | tuple):
        return len(before) == len(after) and all(
            unchanged(b, a) for b, a in zip(before, after, strict=True)
        )
    if type(before).__eq__ is object.__eq__:
        try:
            return pickle.dumps(before) == pickle.dumps(after)
        except Exception:  # cannot tell: do not blame the student
            return True
    try:
        return bool(before == after)
    except Exception:
        return True
