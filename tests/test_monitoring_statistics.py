"""The drift statistics, each against an independent computation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance

from prodml_workshop.monitoring import (
    STAT_TESTS,
    DriftInputError,
    chi_square_pvalue,
    jensen_shannon_distance,
    ks_pvalue,
    psi,
    wasserstein_normed,
    z_test_pvalue,
)


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.mark.parametrize(("n_ref", "n_cur"), [(50, 80), (400, 400), (3000, 20_000)])
def test_ks_pvalue_matches_scipy_ks_2samp(rng, n_ref, n_cur):
    reference, current = rng.normal(0, 1, n_ref), rng.normal(0.2, 1.1, n_cur)
    assert ks_pvalue(reference, current) == pytest.approx(
        stats.ks_2samp(reference, current).pvalue, rel=1e-12
    )


def test_ks_pvalue_drops_missing_and_infinite_values(rng):
    reference, current = rng.normal(0, 1, 200), rng.normal(0, 1, 300)
    dirty = np.concatenate([reference, [np.nan, np.inf, -np.inf]])
    assert ks_pvalue(dirty, current) == ks_pvalue(reference, current)


@pytest.mark.parametrize(
    ("n_ref", "n_cur", "ties"), [(7, 7, False), (100, 37, False), (1000, 2500, True)]
)
def test_wasserstein_normed_matches_scipy_divided_by_the_reference_std(rng, n_ref, n_cur, ties):
    reference, current = rng.gamma(2.0, 1.0, n_ref), rng.gamma(2.5, 1.2, n_cur)
    if ties:
        reference, current = np.round(reference, 1), np.round(current, 1)
    expected = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert wasserstein_normed(reference, current) == pytest.approx(expected, rel=1e-10)


def test_wasserstein_of_a_constant_reference_is_normed_by_a_floor_of_0_001():
    assert wasserstein_normed([5.0] * 10, [5.5] * 10) == pytest.approx(0.5 / 0.001)


def test_chi_square_pvalue_matches_scipy_chisquare_with_scaled_reference_counts():
    reference = ["a"] * 50 + ["b"] * 30 + ["c"] * 20
    current = ["a"] * 30 + ["b"] * 40 + ["c"] * 10
    expected = stats.chisquare([30, 40, 10], np.array([50, 30, 20]) * 80 / 100).pvalue
    assert chi_square_pvalue(reference, current) == pytest.approx(expected, rel=1e-12)


def test_chi_square_pvalue_is_a_goodness_of_fit_that_agrees_with_chi2_contingency():
    # Evidently's test fits the current counts to the reference proportions (k - 1 degrees of
    # freedom); chi2_contingency tests the same hypothesis symmetrically. Same verdict here.
    reference = np.repeat(["x", "y", "z"], [40, 35, 25])
    current = np.repeat(["x", "y", "z"], [20, 45, 35])
    observed, expected = np.array([20, 45, 35]), np.array([40, 35, 25])
    statistic = ((observed - expected) ** 2 / expected).sum()
    assert chi_square_pvalue(reference, current) == pytest.approx(stats.chi2.sf(statistic, 2))
    contingency = stats.chi2_contingency([[40, 35, 25], [20, 45, 35]]).pvalue
    assert (contingency < 0.05) == (chi_square_pvalue(reference, current) < 0.05)


def test_chi_square_pvalue_is_zero_for_a_value_the_reference_never_had():
    assert chi_square_pvalue(["a", "b", "c"] * 10, ["a", "b", "c", "new"] * 10) == 0.0


def test_z_test_pvalue_matches_a_hand_computed_two_proportion_test():
    reference = [1] * 30 + [0] * 70
    current = [1] * 45 + [0] * 55
    pooled = 75 / 200
    z = (0.7 - 0.55) / np.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert z_test_pvalue(reference, current) == pytest.approx(2 * stats.norm.sf(z), rel=1e-12)


def test_z_test_pvalue_is_one_when_both_samples_hold_the_same_single_value():
    assert z_test_pvalue(["yes"] * 5, ["yes"] * 9) == 1.0


def test_jensen_shannon_matches_scipy_on_category_shares():
    reference = ["a"] * 50 + ["b"] * 30 + ["c"] * 20
    current = ["a"] * 20 + ["b"] * 30 + ["d"] * 50
    expected = distance.jensenshannon([0.5, 0.3, 0.2, 0.0], [0.2, 0.3, 0.0, 0.5])
    assert jensen_shannon_distance(reference, current) == pytest.approx(expected, rel=1e-12)


def test_jensen_shannon_bins_many_valued_numbers_with_sturges_over_both_samples(rng):
    reference, current = rng.normal(0, 1, 500), rng.normal(0.5, 1, 300)
    edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
    p = np.histogram(reference, edges)[0] / 500
    q = np.histogram(current, edges)[0] / 300
    expected = distance.jensenshannon(p, q)
    assert jensen_shannon_distance(reference, current) == pytest.approx(expected, rel=1e-12)


def test_psi_matches_a_hand_written_example():
    # Shares: reference 0.5 / 0.3 / 0.2, current 0.4 / 0.4 / 0.2.
    reference = ["low"] * 5 + ["mid"] * 3 + ["high"] * 2
    current = ["low"] * 4 + ["mid"] * 4 + ["high"] * 2
    expected = (0.5 - 0.4) * np.log(0.5 / 0.4) + (0.3 - 0.4) * np.log(0.3 / 0.4) + 0.0
    assert psi(reference, current) == pytest.approx(expected, rel=1e-12)


def test_psi_gives_an_empty_bin_a_small_share_instead_of_an_infinite_index():
    # "c" is absent from the current sample: its share becomes 1e-4 (Evidently's rule).
    reference, current = ["a", "b", "c"] * 10, ["a", "b"] * 15
    expected = (1 / 3 - 0.5) * np.log((1 / 3) / 0.5) * 2 + (1 / 3 - 1e-4) * np.log((1 / 3) / 1e-4)
    assert psi(reference, current) == pytest.approx(expected, rel=1e-12)


def test_identical_samples_give_no_drift_for_every_statistic(rng):
    numbers = rng.normal(0, 1, 300)
    labels = rng.choice(["a", "b", "c"], 300)
    scores = {
        "ks": ks_pvalue(numbers, numbers),
        "wasserstein": wasserstein_normed(numbers, numbers),
        "chisquare": chi_square_pvalue(labels, labels),
        "z": z_test_pvalue(labels == "a", labels == "a"),
        "jensenshannon": jensen_shannon_distance(labels, labels),
        "psi": psi(numbers, numbers),
    }
    assert not any(STAT_TESTS[name].is_drift(score) for name, score in scores.items())


def test_thresholds_and_comparisons_are_evidently_defaults():
    assert {name: test.default_threshold for name, test in STAT_TESTS.items()} == {
        "ks": 0.05,
        "chisquare": 0.05,
        "z": 0.05,
        "wasserstein": 0.1,
        "jensenshannon": 0.1,
        "psi": 0.1,
    }
    assert STAT_TESTS["ks"].is_drift(0.05) and not STAT_TESTS["chisquare"].is_drift(0.05)
    assert STAT_TESTS["wasserstein"].is_drift(0.1) and not STAT_TESTS["psi"].is_drift(0.099)


def test_numeric_statistics_refuse_text_with_a_clear_error():
    with pytest.raises(DriftInputError, match="not numbers"):
        wasserstein_normed(["a", "b"], ["a", "c"])


def test_statistics_refuse_a_sample_without_values():
    with pytest.raises(DriftInputError, match="reference has no finite value"):
        ks_pvalue([np.nan, np.inf], [1.0, 2.0])
    with pytest.raises(DriftInputError, match="current has no value"):
        chi_square_pvalue(pd.Series(["a"]), pd.Series([None, None]))
