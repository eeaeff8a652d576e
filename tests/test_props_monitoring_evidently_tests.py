"""The drift statistics the installed Evidently registers, and the preset's own choice."""

from __future__ import annotations

import pandas as pd
import pytest

from prodml_workshop.monitoring import default_test
from prodml_workshop.props.monitoring.evidently_tests import PRESET_DEFAULTS, evidently_stat_tests

pytestmark = pytest.mark.slow  # imports Evidently


def test_evidently_registers_many_more_numeric_statistics_than_the_preset_picks():
    tests = evidently_stat_tests()
    numeric = tests[tests["column types"].str.contains("numerical")].index
    assert {"anderson", "cramer_von_mises", "ed", "hellinger", "mannw"} <= set(numeric)
    assert set(PRESET_DEFAULTS) <= set(tests.index)
    picked = tests.loc[tests["preset default"] != ""].index
    assert set(picked) == set(PRESET_DEFAULTS)


@pytest.mark.parametrize(
    ("column_type", "n_reference", "n_values"),
    [
        ("numerical", 300, 200),
        ("numerical", 3000, 200),
        ("categorical", 300, 4),
        ("categorical", 300, 2),
        ("categorical", 3000, 4),
        ("numerical", 3000, 3),
    ],
)
def test_preset_defaults_describe_the_rule_evidently_applies(column_type, n_reference, n_values):
    from evidently.legacy.calculations.stattests.registry import _get_default_stattest
    from evidently.legacy.core import ColumnType

    reference = pd.Series([i % n_values for i in range(n_reference)])
    kind = ColumnType.Numerical if column_type == "numerical" else ColumnType.Categorical
    theirs = _get_default_stattest(reference, reference, kind).name
    assert theirs == default_test(column_type, n_reference, n_values)
    assert theirs in PRESET_DEFAULTS
