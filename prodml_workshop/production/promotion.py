"""The promotion gate: a challenger replaces the champion only if it is at least as good.

A new version is not promoted because it is new. :func:`promotion_gate` runs four checks and
promotes only if all pass:

1. **score**: on the same recent labelled window (the feedback), the challenger scores at
   least as well as the champion (within ``tolerance``), both scored from their packages;
2. **technical drift**: the challenger's package passes
   :func:`~prodml_workshop.monitoring.technical_drift` *with* its stored reference re-scored;
3. **reference size**: the reference stored with it (its training rows, by
   :func:`~prodml_workshop.packaging.save_reference`) has at least ``min_reference_rows``
   rows: a model trained on a handful of days has seen too little to be trusted, whatever
   its score on one week;
4. **reference coverage**: the challenger's own data-quality check accepts the window: at most
   ``max_flagged`` of its records fall outside its reference's ranges or categories
   (:func:`~prodml_workshop.packaging.quality_issues`). Otherwise the service would flag
   the traffic it is about to serve.

The :class:`GateDecision` holds the verdict, each check's numbers, and the reasons for a
refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import accuracy_score

from prodml_workshop.monitoring import technical_drift
from prodml_workshop.packaging import (
    feature_profile,
    load_model,
    quality_issues,
    read_manifest,
    read_profile,
    read_reference,
)
from prodml_workshop.serving import model_version

__all__ = ["GateDecision", "promotion_gate"]

_CHECK_COLUMNS = ["challenger", "champion or limit", "passed", "detail"]


@dataclass(frozen=True)
class GateDecision:
    """What :func:`promotion_gate` decided, and why.

    Attributes
    ----------
    challenger, champion : str or None
        The model versions compared (``champion`` is None for a first version).
    checks : pandas.DataFrame
        One row per check (``score``, ``technical drift``, ``reference size``,
        ``reference coverage``): ``challenger`` (its number), ``champion or limit``,
        ``passed`` and ``detail``.

    Examples
    --------
    >>> checks = pd.DataFrame({"challenger": [0.9], "champion or limit": [0.1],
    ...                        "passed": [True], "detail": ["accuracy_score"]},
    ...                       index=pd.Index(["score"], name="check"))
    >>> decision = GateDecision("skops-2", "skops-1", checks)
    >>> decision.promote, decision.reasons
    (True, [])
    """

    challenger: str
    champion: str | None
    checks: pd.DataFrame

    @property
    def promote(self) -> bool:
        """Whether every check passed."""
        return bool(self.checks["passed"].all())

    @property
    def reasons(self) -> list[str]:
        """One sentence per failed check, with its numbers."""
        return [
            f"{name}: {row['detail']}" for name, row in self.checks.iterrows() if not row["passed"]
        ]

    def __str__(self) -> str:
        if self.promote:
            score = self.checks.loc["score"]
            return (
                f"PROMOTE {self.challenger} over {self.champion}: every check passed "
                f"({score['detail']})"
            )
        return f"REFUSE {self.challenger}: " + "; ".join(self.reasons)


def _reference_rows(package: Path) -> pd.DataFrame | None:
    stored = read_reference(package)
    return None if stored is None else stored[0]


def _score(metric: Callable[[Any, Any], float], name: str, y: Any, package: Any, X: Any) -> float:
    try:
        return float(metric(y, load_model(package).predict(X)))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} cannot score the predictions of {package} ({exc}); pass a metric for its "
            "task, higher is better: e.g. metric=r2_score for a regressor."
        ) from exc


def promotion_gate(
    challenger: str | Path,
    champion: str | Path | None,
    window: pd.DataFrame,
    *,
    features: Sequence[str],
    target: str,
    metric: Callable[[Any, Any], float] = accuracy_score,
    tolerance: float = 0.0,
    min_reference_rows: int = 100,
    max_flagged: float = 0.05,
) -> GateDecision:
    """Decide whether a challenger package may replace the champion in production.

    Parameters
    ----------
    challenger : str or pathlib.Path
        The candidate package, with its reference stored by ``save_reference``.
    champion : str or pathlib.Path or None
        The package in production; ``None`` for a first version (the score check compares
        with nothing and passes).
    window : pandas.DataFrame
        Recent labelled rows, the same for both: ``features`` and ``target``, e.g.
        :func:`~.feedback.labelled_log` of the last days. Rows the challenger was trained on
        would flatter it: use days after its training data.
    features : sequence of str
        The input columns.
    target : str
        The label (or value) column.
    metric : callable, default=sklearn.metrics.accuracy_score
        ``metric(y_true, y_pred)``, higher is better (e.g. ``r2_score`` for a regressor).
    tolerance : float, default=0.0
        How much lower than the champion's the challenger's score may be.
    min_reference_rows : int, default=100
        The reference-size check's limit.
    max_flagged : float, default=0.05
        The reference-coverage check's limit: the share of the window's records outside the
        challenger's reference.

    Returns
    -------
    GateDecision
        ``promote``, ``reasons`` and the ``checks`` table; ``print(decision)`` says it in one
        line.

    Raises
    ------
    ValueError
        If the window is empty or lacks a column, or ``metric`` cannot score the predictions
        (a classification metric for a regressor).

    Examples
    --------
    >>> decision = promotion_gate("models/v2/weather", "models/v1/weather", last_week,
    ...                           features=FEATURES, target="weather")  # doctest: +SKIP
    >>> print(decision)  # doctest: +SKIP
    PROMOTE skops-9f8e... over skops-1b2c...: every check passed (accuracy_score 0.857 vs 0.143)
    """
    missing = [c for c in (*features, target) if c not in window.columns]
    if window.empty or missing:
        raise ValueError(
            f"The window must hold labelled rows with the features and {target!r}; it has "
            f"{len(window)} rows and lacks {missing}."
        )
    challenger, X, y = Path(challenger), window[list(features)], window[target]
    name = getattr(metric, "__name__", "score")
    ours = _score(metric, name, y, challenger, X)
    theirs = None if champion is None else _score(metric, name, y, champion, X)
    rows = {
        "score": (
            ours,
            theirs,
            theirs is None or ours >= theirs - tolerance,
            f"{name} {ours:.3f} vs {'none' if theirs is None else f'{theirs:.3f}'} for the "
            f"champion on {len(window)} labelled rows",
        )
    }
    report = technical_drift(challenger)
    if not report.predictions_checked:
        detail = "no reference sample to re-score: run save_reference(package, training)"
    else:
        detail = (
            f"{report.n_mismatched} of {report.n_rows} reference predictions differ; "
            f"{len(report.version_differences)} library versions changed"
        )
    rows["technical drift"] = (
        report.n_mismatched,
        0,
        report.ok and report.predictions_checked,
        detail,
    )
    reference = _reference_rows(challenger)
    n_rows = 0 if reference is None else len(reference)
    rows["reference size"] = (
        n_rows,
        min_reference_rows,
        n_rows >= min_reference_rows,
        f"{n_rows} reference rows, at least {min_reference_rows} needed",
    )
    profile = read_profile(challenger)
    if profile is None and reference is not None:
        profile = feature_profile(reference[list(features)])
    flagged = [bool(issues) for issues in quality_issues(X, profile)] if profile else [True]
    share = sum(flagged) / len(flagged)
    rows["reference coverage"] = (
        share,
        max_flagged,
        share <= max_flagged,
        f"{share:.0%} of the window's records outside its reference, at most "
        f"{max_flagged:.0%} allowed",
    )
    checks = pd.DataFrame.from_dict(rows, orient="index", columns=_CHECK_COLUMNS)
    return GateDecision(
        challenger=model_version(read_manifest(challenger)),
        champion=None if champion is None else model_version(read_manifest(champion)),
        checks=checks.rename_axis("check"),
    )
