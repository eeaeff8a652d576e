"""How far a week of seven labels can be tested: the job's test, its expected counts, an exact test.

The monitoring job tests each week's predictions as Evidently would on a small reference
(:func:`~prodml_workshop.monitoring.prediction_drift.detect_prediction_drift`): a
two-proportion Z-test when the reference and the week hold two labels together, chi-square
with more. Both are large-sample approximations, trusted when every *expected count* (the
week's size times a label's share in the reference) is at least 5; a week of seven
predictions is far below that. :func:`exact_label_pvalue` is Fisher's exact test for any
number of labels (the Fisher-Freeman-Halton test), valid at any size, and :func:`label_tests`
puts both side by side.

Examples
--------
>>> reference = ["sun"] * 39 + ["fog"] * 4
>>> round(exact_label_pvalue(reference, ["rain"] * 7), 10)
1e-08
>>> row = label_tests(reference, ["sun"] * 6 + ["fog"])
>>> row["test"], round(row["smallest expected count"], 2), round(row["exact p-value"], 2)
('z', 0.65, 0.55)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from prodml_workshop.monitoring.prediction_drift import detect_prediction_drift

__all__ = ["exact_label_pvalue", "label_tests"]


def _counts(reference: Sequence[Any], current: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Count each label (of either side) in the reference and in the current labels."""
    reference, current = pd.Series(list(reference)), pd.Series(list(current))
    labels = sorted(set(reference) | set(current), key=str)
    return (
        reference.value_counts().reindex(labels, fill_value=0).to_numpy(),
        current.value_counts().reindex(labels, fill_value=0).to_numpy(),
    )


def _draws(n: int, limits: np.ndarray) -> Iterator[list[int]]:
    """Every way to draw n rows from columns holding ``limits`` rows each."""
    if len(limits) == 1:
        if n <= limits[0]:
            yield [n]
        return
    for first in range(min(n, limits[0]) + 1):
        for rest in _draws(n - first, limits[1:]):
            yield [first, *rest]


def exact_label_pvalue(reference: Sequence[Any], current: Sequence[Any]) -> float:
    """Fisher's exact test of current labels against reference labels, for any number of labels.

    Pool both samples; were the current labels a random draw of that many rows from the pool
    (no drift), each possible draw has a multivariate hypergeometric probability. The
    p-value is the total probability of the draws no more likely than the one observed.
    Exact at any size; for two labels it equals :func:`scipy.stats.fisher_exact`'s.

    Parameters
    ----------
    reference, current : sequence
        The labels (any hashable values).

    Returns
    -------
    float
        The p-value: small when the current labels are unlikely under no drift.

    Examples
    --------
    >>> round(exact_label_pvalue(["sun"] * 32 + ["fog"] * 11, ["sun"] * 3 + ["fog"] * 4), 4)
    0.1765
    """
    reference_counts, current_counts = _counts(reference, current)
    pool, n = reference_counts + current_counts, int(current_counts.sum())
    observed = stats.multivariate_hypergeom.pmf(current_counts, pool, n)
    probabilities = [stats.multivariate_hypergeom.pmf(d, pool, n) for d in _draws(n, pool)]
    return float(min(1.0, sum(p for p in probabilities if p <= observed * (1 + 1e-7))))


def label_tests(
    reference: Sequence[Any], current: Sequence[Any], *, threshold: float = 0.01
) -> dict[str, Any]:
    """Test current labels against reference labels with the job's test and with the exact one.

    Parameters
    ----------
    reference, current : sequence
        The labels, e.g. a reference's predictions and a week's.
    threshold : float, default=0.01
        The p-value at or below which each test says drift.

    Returns
    -------
    dict
        ``labels`` (the current counts), ``test`` (the job's: ``"z"`` or ``"chisquare"``),
        ``smallest expected count`` (the current size times the smallest reference share of
        a label either side holds: 0 for a label the reference never had), ``p-value`` (the
        job's test), ``exact p-value`` (:func:`exact_label_pvalue`) and both verdicts.

    Examples
    --------
    >>> label_tests(["sun"] * 39 + ["fog"] * 4, ["rain"] * 7)["smallest expected count"]
    0.0
    """
    reference_counts, current_counts = _counts(reference, current)
    job = detect_prediction_drift(reference, current, threshold=threshold).table.iloc[0]
    exact = exact_label_pvalue(reference, current)
    shares = reference_counts / reference_counts.sum()
    return {
        "labels": pd.Series(list(current)).value_counts().to_dict(),
        "test": job["test"],
        "smallest expected count": float(current_counts.sum() * shares.min()),
        "p-value": float(job["statistic"]),
        "drift": bool(job["drifted"]),
        "exact p-value": exact,
        "exact drift": exact <= threshold,
    }
