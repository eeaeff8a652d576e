"""A week of seven labels: the job's approximate test beside Fisher's exact test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from prodml_workshop.props.production.small_windows import exact_label_pvalue, label_tests


@pytest.mark.parametrize(
    ("reference", "current"),
    [((32, 11), (3, 4)), ((39, 4), (6, 1)), ((10, 10), (7, 0)), ((5, 40), (0, 7))],
)
def test_exact_pvalue_of_two_labels_is_scipys_fisher_exact(reference, current):
    ref = ["sun"] * reference[0] + ["fog"] * reference[1]
    cur = ["sun"] * current[0] + ["fog"] * current[1]
    expected = stats.fisher_exact([reference, current]).pvalue
    assert exact_label_pvalue(ref, cur) == pytest.approx(expected, rel=1e-9)


def test_exact_pvalue_of_three_labels_agrees_with_scipys_monte_carlo():
    reference = [1] * 20 + [2] * 15 + [3] * 8
    current = [1, 3, 3, 3, 3, 2, 3]
    table = [[20, 15, 8], [1, 1, 5]]
    method = stats.MonteCarloMethod(n_resamples=20_000, rng=np.random.default_rng(0))
    estimate = stats.fisher_exact(table, method=method).pvalue
    assert exact_label_pvalue(reference, current) == pytest.approx(estimate, abs=0.01)


def test_a_label_the_reference_never_had_is_p_zero_for_chi_square_not_for_the_exact_test():
    row = label_tests(["sun"] * 39 + ["fog"] * 4, ["rain"] * 7)
    assert row["test"] == "chisquare" and row["p-value"] == 0.0
    assert row["smallest expected count"] == 0.0
    assert 0 < row["exact p-value"] < 1e-7 and row["exact drift"]


def test_a_quiet_week_has_expected_counts_below_five_and_no_drift():
    row = label_tests(["sun"] * 39 + ["fog"] * 4, ["sun"] * 6 + ["fog"], threshold=0.01)
    assert row["test"] == "z" and row["labels"] == {"sun": 6, "fog": 1}
    assert row["smallest expected count"] == pytest.approx(7 * 4 / 43)
    assert not row["drift"] and not row["exact drift"]
