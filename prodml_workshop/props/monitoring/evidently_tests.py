"""Every drift statistic the installed Evidently registers, and which ones its preset picks.

Evidently's ``DataDriftPreset`` chooses one statistic per column by a fixed rule
(:func:`~prodml_workshop.monitoring.default_test`: ``ks``, ``wasserstein``, ``chisquare``,
``z`` or ``jensenshannon``, from the column's type, the reference's size and the number of
distinct values), but Evidently registers many more, each usable through the preset's
``num_method``, ``cat_method`` or ``per_column_method``. :func:`evidently_stat_tests` lists
them from the installed library itself, so the list is the truth for this version.

Examples
--------
>>> tests = evidently_stat_tests()  # doctest: +SKIP
>>> tests.loc["anderson", "column types"]  # doctest: +SKIP
'numerical'
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PRESET_DEFAULTS", "evidently_stat_tests"]

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
