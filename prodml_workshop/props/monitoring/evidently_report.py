"""Run Evidently's ``DataDriftPreset`` and read its per-column verdicts into our table.

So a notebook can show Evidently's report next to :func:`detect_data_drift` and check that
both say the same thing, column by column.

Examples
--------
>>> snapshot = run_evidently_drift(reference, current)  # doctest: +SKIP
>>> snapshot.save_html("drift.html")  # doctest: +SKIP
>>> evidently_drift_result(snapshot).table  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from prodml_workshop.monitoring.data_drift import TABLE_COLUMNS, DataDriftResult

__all__ = ["evidently_drift_result", "run_evidently_drift"]

_TYPES = {"num": "numerical", "cat": "categorical", "text": "text"}


def _stat_test_names() -> dict[str, str]:
    """Map Evidently's display names ("K-S p_value") to its registered names ("ks")."""
    from evidently.legacy.calculations import stattests
    from evidently.legacy.calculations.stattests.registry import StatTest

    return {
        test.display_name: test.name
        for test in vars(stattests).values()
        if isinstance(test, StatTest)
    }


def run_evidently_drift(
    reference: pd.DataFrame, current: pd.DataFrame, *, columns: Sequence[str] | None = None
) -> Any:
    """Run Evidently's ``DataDriftPreset`` with its defaults and its tests.

    Parameters
    ----------
    reference : pandas.DataFrame
        The reference data.
    current : pandas.DataFrame
        The data to check.
    columns : sequence of str, default=None
        Columns to compare; Evidently's default is every numerical, categorical and text
        column.

    Returns
    -------
    evidently.core.report.Snapshot
        The result: ``save_html(path)``, ``dict()``, ``json()``; read it with
        :func:`evidently_drift_result`.

    Examples
    --------
    >>> run_evidently_drift(reference, current).save_html("drift.html")  # doctest: +SKIP
    """
    from evidently import Report
    from evidently.presets import DataDriftPreset

    preset = DataDriftPreset(columns=list(columns) if columns is not None else None)
    return Report([preset], include_tests=True).run(current, reference)


def evidently_drift_result(snapshot: Any) -> DataDriftResult:
    """Read the per-column verdicts of a ``DataDriftPreset`` run into a :class:`DataDriftResult`.

    Parameters
    ----------
    snapshot : evidently.core.report.Snapshot
        What :func:`run_evidently_drift` returned (its tests must have been included).

    Returns
    -------
    DataDriftResult
        The same table as :func:`detect_data_drift`'s: ``test`` is Evidently's registered name
        (``"ks"``, ``"wasserstein"``, ...), ``statistic`` its drift score, ``drifted`` whether
        its test for the column failed; ``drift_share`` is the preset's, and the dataset
        verdict follows from these column verdicts. (Evidently's own ``DriftedColumnsCount``
        can count more: its dataset-level pass drops infinite values only in columns that
        also hold a NaN, while its per-column verdicts always drop them.)

    Raises
    ------
    ValueError
        If the snapshot holds no ``DataDriftPreset`` result with tests.

    Examples
    --------
    >>> evidently_drift_result(run_evidently_drift(reference, current)).drifted_columns
    ... # doctest: +SKIP
    ['temp_max', 'temp_min']
    """
    content = snapshot.dict()
    names = _stat_test_names()
    failed = {
        test["metric_config"]["metric_id"]: test["status"] == "FAIL"
        for test in content["tests"]
        if test["id"] == "drift"
    }
    definition = snapshot.context.data_definition
    rows, drift_share = [], None
    for metric in content["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":DriftedColumnsCount"):
            drift_share = config["drift_share"]
        elif config["type"].endswith(":ValueDrift"):
            column = config["column"]
            rows.append(
                (
                    column,
                    _TYPES.get(definition.get_column_type(column).value, "unknown"),
                    names.get(config["method"], config["method"]),
                    float(metric["value"]),
                    float(config["threshold"]),
                    failed[metric["id"]],
                )
            )
    if drift_share is None or not rows or not failed:
        raise ValueError(
            "The snapshot holds no DataDriftPreset result with tests; make it with "
            "run_evidently_drift (or Report([DataDriftPreset()], include_tests=True))."
        )
    return DataDriftResult(pd.DataFrame(rows, columns=TABLE_COLUMNS), drift_share)
