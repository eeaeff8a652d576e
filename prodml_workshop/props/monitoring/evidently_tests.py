"""Every drift statistic the installed Evidently registers, and which ones its preset picks.

Evidently's ``DataDriftPreset`` chooses one statistic per column by a fixed rule
(:func:`~prodml_workshop.monitoring.default_test`: ``ks``, ``wasserstein``, ``chisquare``,
``z`` or ``jensenshannon``, from the column's type, the reference's size and the number of
distinct values), but Evidently registers many more, each usable through the preset's
``num_method``, ``cat_method`` or ``per_column_method``. :func:`evidently_stat_tests` lists
them from the installed library itself, so the list is the truth for this version, and
:func:`evidently_default_tests` asks the installed library which one it picks, case by case.

Examples
--------
>>> tests = evidently_stat_tests()  # doctest: +SKIP
>>> tests.loc["anderson", "column types"]  # doctest: +SKIP
'numerical'
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["PRESET_DEFAULTS", "evidently_default_tests", "evidently_stat_tests"]

#: When the preset picks each statistic by default (``default_test``'s rule; Evidently 0.7's
#: ``_get_default_stattest`` in ``evidently/legacy/calculations/stattests/registry.py``).
PRESET_DEFAULTS = {
    "ks": "numerical, at most 1000 reference rows, more than 5 distinct values",
    "chisquare": "at most 1000 reference rows, 3 or more distinct values (categorical, or "
    "numerical with at most 5)",
    "z": "at most 1000 reference rows, 2 distinct values",
    "wasserstein": "numerical, more than 1000 reference rows, more than 5 distinct values",
    "jensenshannon": "more than 1000 reference rows: categorical, or numerical with at most 5 "
    "distinct values",
    "perc_text_content_drift": "text, at most 1000 reference rows",
    "abs_text_content_drift": "text, more than 1000 reference rows",
}

_TYPES = {"num": "numerical", "cat": "categorical", "text": "text"}


def evidently_stat_tests() -> pd.DataFrame:
    """List the drift statistics the installed Evidently registers.

    Returns
    -------
    pandas.DataFrame
        Indexed by Evidently's name (what ``num_method="anderson"`` takes): ``title``,
        ``column types`` (comma-separated), ``default threshold`` and ``preset default``
        (when :class:`DataDriftPreset` picks it by itself, empty if never).

    Raises
    ------
    ImportError
        If Evidently is not installed.

    Examples
    --------
    >>> tests = evidently_stat_tests()  # doctest: +SKIP
    >>> len(tests) > 15, "ks" in tests.index  # doctest: +SKIP
    (True, True)
    """
    from evidently.legacy.calculations import stattests
    from evidently.legacy.calculations.stattests.registry import StatTest

    rows = {
        test.name: {
            "title": test.display_name,
            "column types": ", ".join(_TYPES[t.value] for t in test.allowed_feature_types),
            "default threshold": test.default_threshold,
            "preset default": PRESET_DEFAULTS.get(test.name, ""),
        }
        for test in vars(stattests).values()
        if isinstance(test, StatTest)
    }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def evidently_default_tests(
    n_reference: Sequence[int] = (366, 1500), n_values: Sequence[int] = (2, 3, 5, 6)
) -> pd.DataFrame:
    """Ask the installed Evidently which statistic its preset picks for each kind of column.

    Each case is a made-up column (``n_reference`` rows cycling through ``n_values`` distinct
    values, floats or strings), compared with itself by Evidently's own ``get_stattest``, the
    function ``DataDriftPreset`` calls when no method is given.

    Parameters
    ----------
    n_reference : sequence of int, default=(366, 1500)
        Reference sizes (Evidently's limit is 1000 rows).
    n_values : sequence of int, default=(2, 3, 5, 6)
        Numbers of distinct values (its limits are 2 and 5).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(column type, distinct values)``, one column per reference size: the
        name of the statistic Evidently picks (``"ks"``, ``"z"``, ...).

    Raises
    ------
    ImportError
        If Evidently is not installed.

    Examples
    --------
    >>> evidently_default_tests([366], [2, 6]).loc[("numerical", 6), 366]  # doctest: +SKIP
    'ks'
    """
    from evidently.legacy.calculations.stattests import get_stattest
    from evidently.legacy.core import ColumnType

    kinds = {
        "numerical": (ColumnType.Numerical, float),
        "categorical": (ColumnType.Categorical, str),
    }
    rows = {}
    for name, (kind, make) in kinds.items():
        for k in n_values:
            picks = {}
            for n in n_reference:
                column = pd.Series([make(i % k) for i in range(n)])
                picks[n] = get_stattest(column, column, kind, None).name
            rows[(name, k)] = picks
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.names = ["column type", "distinct values"]
    return table.rename_axis(columns="reference rows")
