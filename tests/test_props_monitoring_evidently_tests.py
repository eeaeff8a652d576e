"""The drift statistics the installed Evidently registers, and the preset's own choice."""

from __future__ import annotations

import pandas as pd
import pytest

from prodml_workshop.monitoring import default_test
from prodml_workshop.props.monitoring.evidently_tests import (
    PRESET_DEFAULTS,
    evidently_default_tests,
    evidently_stat_tests,
)

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


def test_evidently_default_tests_asks_the_library_and_follows_default_test():
    choices = evidently_default_tests(n_reference=(1000, 1001), n_values=(2, 3, 5, 6))
    assert choices.shape == (8, 2)
    for (column_type, n_values), row in choices.iterrows():
        for n_reference, name in row.items():
            assert name == default_test(column_type, n_reference, n_values)
    assert choices.loc[("numerical", 6)].tolist() == ["ks", "wasserstein"]
    assert choices.loc[("categorical", 2)].tolist() == ["z", "jensenshannon"]
    assert choices.loc[("numerical", 5)].tolist() == ["chisquare", "jensenshannon"]
