"""Per-feature drift statistics, computed the way Evidently computes them.

Each function compares one feature's values in a *reference* sample (what the model was built
on) with a *current* sample (what production sees) and returns one number: a p-value for the
statistical tests (``ks``, ``chisquare``, ``z``: small means the samples differ) or a distance
(``wasserstein``, ``jensenshannon``, ``psi``: large means they differ). Missing values are
dropped first, and for numeric statistics infinite values too, as Evidently does.

:data:`STAT_TESTS` describes each statistic: its default threshold and on which side of it a
column counts as drifted (Evidently 0.7's defaults). The ``..._from_counts``,
``..._from_shares`` and ``..._sorted`` functions compute a statistic from counts, shares or sorted
values prepared once (see :mod:`.binning`), so that :func:`~.data_drift.detect_data_drift`
prepares a column once.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> reference, current = rng.normal(0, 1, 500), rng.normal(1, 1, 500)
>>> ks_pvalue(reference, current) < 0.05
True
>>> round(wasserstein_normed(reference, reference), 3)
0.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .binning import category_counts, finite_values, present_values, sample_shares

__all__ = [
    "STAT_TESTS",
    "StatTest",
    "chi_square_pvalue",
    "chi_square_pvalue_from_counts",
    "jensen_shannon_distance",
    "jensen_shannon_from_shares",
    "ks_pvalue",
    "psi",
    "psi_from_shares",
    "wasserstein_normed",
    "wasserstein_normed_sorted",
    "z_test_pvalue",
    "z_test_pvalue_from_counts",
]


@dataclass(frozen=True)
class StatTest:
    """What a drift statistic returns and when it means drift.

    Parameters
    ----------
    name : str
        The name Evidently registers the test under (``"ks"``, ``"wasserstein"``, ...).
    title : str
        A readable name.
    default_threshold : float
        Evidently's default threshold.
    score : {"p_value", "distance"}
        A p-value means drift when it is *below* the threshold, a distance when it is *above*.
    inclusive : bool
        Whether a score equal to the threshold counts as drift.
    numeric_only : bool
        Whether the statistic needs numbers (``ks``, ``wasserstein``) or also takes categories.
    """

    name: str
    title: str
    default_threshold: float
    score: Literal["p_value", "distance"]
    inclusive: bool
    numeric_only: bool

    def is_drift(self, score: float, threshold: float | None = None) -> bool:
        """Say whether a score means drift at ``threshold`` (the default one if None).

        Examples
        --------
        >>> STAT_TESTS["ks"].is_drift(0.01), STAT_TESTS["wasserstein"].is_drift(0.01)
        (True, False)
        """
        limit = self.default_threshold if threshold is None else threshold
        if self.score == "p_value":
            return bool(score <= limit if self.inclusive else score < limit)
        return bool(score >= limit if self.inclusive else score > limit)


#: The statistics, by Evidently's name, with Evidently 0.7's thresholds and comparisons.
STAT_TESTS: dict[str, StatTest] = {
    test.name: test
    for test in (
        StatTest("ks", "Kolmogorov-Smirnov p-value", 0.05, "p_value", True, True),
        StatTest("chisquare", "chi-square p-value", 0.05, "p_value", False, False),
        StatTest("z", "two-proportion Z-test p-value", 0.05, "p_value", False, False),
        StatTest("wasserstein", "Wasserstein distance (normed)", 0.1, "distance", True, True),
        StatTest("jensenshannon", "Jensen-Shannon distance", 0.1, "distance", True, False),
        StatTest("psi", "population stability index", 0.1, "distance", True, False),
    )
}


def _wasserstein_sorted(reference: np.ndarray, current: np.ndarray) -> float:
    """First Wasserstein distance of two sorted samples, in linear time.

    The distance is the area between the two quantile functions. Both are step functions that
    change at ``i/n`` and ``j/m``; on each piece between consecutive breakpoints the sorted
    values they point at are fixed, so the area is a weighted sum of absolute differences.
    Breakpoints are integers in units of ``1/(n*m)`` so that they merge exactly.
    """
    n, m = reference.size, current.size
    steps = np.concatenate(
        [np.arange(1, n + 1, dtype=np.int64) * m, np.arange(1, m + 1, dtype=np.int64) * n]
    )
    steps.sort(kind="stable")  # two sorted runs: timsort merges them in linear time
    steps = steps[np.concatenate(([True], steps[1:] != steps[:-1]))]
    widths = np.diff(steps, prepend=0) / (n * m)
    gaps = np.abs(reference[(steps - 1) // m] - current[(steps - 1) // n])
    return float(np.dot(widths, gaps))


def wasserstein_normed_sorted(reference: np.ndarray, current: np.ndarray) -> float:
    """:func:`wasserstein_normed` of two samples already cleaned and sorted, in linear time.

    Parameters
    ----------
    reference, current : numpy.ndarray
        Finite floats, each sorted in increasing order.

    Returns
    -------
    float
        The distance divided by the reference's population standard deviation (at least
        0.001, as in Evidently).

    Examples
    --------
    >>> wasserstein_normed_sorted(np.array([0.0, 2.0]), np.array([1.0, 3.0]))
    1.0
    """
    return _wasserstein_sorted(reference, current) / max(float(np.std(reference)), 0.001)


def chi_square_pvalue_from_counts(counts: pd.DataFrame) -> float:
    """:func:`chi_square_pvalue` from counts already made.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``reference`` and ``current``, one row per value
        (:func:`~.binning.category_counts`).

    Returns
    -------
    float
        The p-value; 1 for a single value, 0 when a current value has no reference count.

    Examples
    --------
    >>> counts = pd.DataFrame({"reference": [10.0, 10.0], "current": [5.0, 5.0]})
    >>> chi_square_pvalue_from_counts(counts)
    1.0
    """
    expected = counts["reference"].to_numpy() * (
        counts["current"].sum() / counts["reference"].sum()
    )
    observed = counts["current"].to_numpy()
    if len(counts) < 2:  # one category on both sides: nothing can differ
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # A category never seen in the reference has expectation 0: infinite statistic, p=0.
        terms = np.where(expected > 0, (observed - expected) ** 2 / expected, np.inf)
    return float(stats.chi2.sf(terms.sum(), len(counts) - 1))


def z_test_pvalue_from_counts(counts: pd.DataFrame) -> float:
    """:func:`z_test_pvalue` from counts already made.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``reference`` and ``current``, one row per value, sorted
        (:func:`~.binning.category_counts`).

    Returns
    -------
    float
        The two-sided p-value of the first value's share against the others'.

    Examples
    --------
    >>> counts = pd.DataFrame({"reference": [50.0, 50.0], "current": [90.0, 10.0]})
    >>> z_test_pvalue_from_counts(counts) < 0.05
    True
    """
    if len(counts) < 2:  # the same single value on both sides
        return 1.0
    # Evidently contrasts the first value (in sorted order) with all the others.
    n_ref, n_cur = counts["reference"].sum(), counts["current"].sum()
    p_ref = 1 - counts["reference"].iloc[0] / n_ref
    p_cur = 1 - counts["current"].iloc[0] / n_cur
    pooled = (p_ref * n_ref + p_cur * n_cur) / (n_ref + n_cur)
    z = (p_ref - p_cur) / np.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
    return float(2 * stats.norm.sf(abs(z)))


def jensen_shannon_from_shares(p: np.ndarray, q: np.ndarray) -> float:
    """:func:`jensen_shannon_distance` from shares already made.

    Parameters
    ----------
    p, q : numpy.ndarray
        The reference's and the current sample's shares over the same bins or values
        (:func:`~.binning.sample_shares`); they are normalised to sum to 1.

    Returns
    -------
    float
        The distance, natural logarithm, between 0 and ``sqrt(ln 2)``.

    Examples
    --------
    >>> round(jensen_shannon_from_shares(np.array([1.0, 0.0]), np.array([0.0, 1.0])), 4)
    0.8326
    """
    p, q = p / p.sum(), q / q.sum()
    mixture = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log(p / mixture), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log(q / mixture), 0.0).sum()
    return float(np.sqrt(max((kl_p + kl_q) / 2, 0.0)))


def psi_from_shares(reference: np.ndarray, current: np.ndarray) -> float:
    """:func:`psi` from shares already made.

    Parameters
    ----------
    reference, current : numpy.ndarray
        Each sample's shares over the same bins or values, none 0 (fill empty bins first,
        as :func:`~.binning.sample_shares` does with ``fill_zeros=True``).

    Returns
    -------
    float
        ``sum((r - c) * ln(r / c))``.

    Examples
    --------
    >>> round(psi_from_shares(np.array([0.5, 0.5]), np.array([0.9, 0.1])), 3)
    0.879
    """
    return float(np.sum((reference - current) * np.log(reference / current)))


def ks_pvalue(reference: Any, current: Any) -> float:
    """Two-sample Kolmogorov-Smirnov test: the p-value that both samples share a distribution.

    Parameters
    ----------
    reference, current : array-like of numbers
        The two samples; NaN and infinite values are dropped.

    Returns
    -------
    float
        The two-sided p-value of :func:`scipy.stats.ks_2samp` (exact for samples up to 10 000
        values, asymptotic above). Drift when it is at most 0.05.

    Raises
    ------
    DriftInputError
        If a sample holds non-numbers or has no finite value.

    Examples
    --------
    >>> ks_pvalue([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0])
    1.0
    """
    return float(
        stats.ks_2samp(
            finite_values(reference, "reference"), finite_values(current, "current")
        ).pvalue
    )


def chi_square_pvalue(reference: Any, current: Any) -> float:
    """Chi-square goodness of fit of the current counts to the reference proportions.

    The expected count of each value is its reference count scaled to the current sample's
    size (Evidently's test; not a contingency-table test). A value never seen in the reference
    makes the p-value 0.

    Parameters
    ----------
    reference, current : array-like
        The two samples, categories or numbers; missing values are dropped.

    Returns
    -------
    float
        The p-value, with ``k - 1`` degrees of freedom for ``k`` distinct values. Drift when it
        is below 0.05.

    Raises
    ------
    DriftInputError
        If a sample has no value.

    Examples
    --------
    >>> round(chi_square_pvalue(["a", "b", "c"] * 10, ["a", "b", "c"] * 5), 3)
    1.0
    """
    counts = category_counts(
        present_values(reference, "reference"), present_values(current, "current")
    )
    return chi_square_pvalue_from_counts(counts)


def z_test_pvalue(reference: Any, current: Any) -> float:
    """Two-proportion Z-test for a binary feature (the first value in sorted order vs the rest).

    Parameters
    ----------
    reference, current : array-like
        The two samples, with (ideally) two distinct values; missing values are dropped.

    Returns
    -------
    float
        The two-sided p-value; 1 when both samples hold the same single value. Drift when it
        is below 0.05.

    Raises
    ------
    DriftInputError
        If a sample has no value.

    Examples
    --------
    >>> z_test_pvalue([0, 1] * 50, [0, 1] * 50)
    1.0
    """
    counts = category_counts(
        present_values(reference, "reference"), present_values(current, "current")
    )
    return z_test_pvalue_from_counts(counts)


def wasserstein_normed(reference: Any, current: Any) -> float:
    """First Wasserstein (earth mover's) distance, divided by the reference's standard deviation.

    Dividing by the reference's spread makes the distance unit-free: 0.1 means the current
    values moved by about a tenth of a standard deviation on average. The deviation is the
    population one (``ddof=0``), at least 0.001, as in Evidently.

    Parameters
    ----------
    reference, current : array-like of numbers
        The two samples; NaN and infinite values are dropped.

    Returns
    -------
    float
        The normed distance, 0 for identical samples. Drift when it is at least 0.1.

    Raises
    ------
    DriftInputError
        If a sample holds non-numbers or has no finite value.

    Examples
    --------
    >>> wasserstein_normed([0.0, 1.0, 2.0], [1.0, 2.0, 3.0]) > 1
    True
    """
    return wasserstein_normed_sorted(
        np.sort(finite_values(reference, "reference")), np.sort(finite_values(current, "current"))
    )


def jensen_shannon_distance(reference: Any, current: Any, *, kind: str | None = None) -> float:
    """Jensen-Shannon distance (natural logarithm) between the two samples' distributions.

    Categories, and numeric columns whose reference has at most 20 distinct values, are
    compared value by value; other numeric columns are binned with Sturges' rule over both
    samples, as in Evidently.

    Parameters
    ----------
    reference, current : array-like
        The two samples; missing (and, for numbers, infinite) values are dropped.
    kind : {"numerical", "categorical"}, default=None
        How to treat the values; by default numbers are numerical and anything else (including
        booleans) categorical.

    Returns
    -------
    float
        The distance, between 0 and ``sqrt(ln 2)`` (about 0.83). Drift when it is at least 0.1.

    Raises
    ------
    DriftInputError
        If a sample has no value, or numerical ``kind`` is asked for non-numbers.

    Examples
    --------
    >>> jensen_shannon_distance(["a", "b"], ["a", "b"])
    0.0
    """
    return jensen_shannon_from_shares(*sample_shares(reference, current, kind, fill_zeros=False))


def psi(reference: Any, current: Any, *, kind: str | None = None) -> float:
    """Population stability index: ``sum((r - c) * ln(r / c))`` over bins or values.

    Shares are computed as for :func:`jensen_shannon_distance`; a bin empty on one side gets
    a small share instead of 0 (Evidently's rule) so that the logarithm stays finite.

    Parameters
    ----------
    reference, current : array-like
        The two samples; missing (and, for numbers, infinite) values are dropped.
    kind : {"numerical", "categorical"}, default=None
        How to treat the values, as for :func:`jensen_shannon_distance`.

    Returns
    -------
    float
        The index, 0 for identical distributions. Drift when it is at least 0.1 (a common rule
        of thumb reads 0.1-0.25 as a moderate shift, above 0.25 as a large one).

    Raises
    ------
    DriftInputError
        If a sample has no value, or numerical ``kind`` is asked for non-numbers.

    Examples
    --------
    >>> round(psi(["a"] * 50 + ["b"] * 50, ["a"] * 90 + ["b"] * 10), 3)
    0.879
    """
    return psi_from_shares(*sample_shares(reference, current, kind, fill_zeros=True))
