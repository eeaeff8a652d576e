"""Technical drift: does the model package still run as it did when it was saved?

Two checks. *Versions*: the library versions recorded in the package's manifest against the
installed ones (:func:`~prodml_workshop.packaging.environment_differences`). *Predictions*: a
reference sample, scored when the package was made, scored again now — an upgrade can change
predictions without any error. The package stores the sample and its predictions
(``save_model(..., reference=X)`` or :func:`~prodml_workshop.packaging.save_reference`, read
back by :func:`~prodml_workshop.packaging.read_reference`); :func:`technical_drift` runs both
checks and says which one failed.

Examples
--------
>>> from prodml_workshop.packaging import save_model
>>> save_model(pipeline, "models/penguins", format="skops",
...            sample_input=X_train.head(), reference=X_test)  # doctest: +SKIP
>>> technical_drift("models/penguins")  # doctest: +SKIP
TechnicalDriftReport(ok=True, versions='ok', predictions='ok (87 rows)')
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.packaging import (
    EnvironmentMismatchWarning,
    environment_differences,
    load_model,
    read_manifest,
    read_reference,
)
from prodml_workshop.packaging.reference import reference_outputs

from .errors import DriftInputError

__all__ = ["TechnicalDriftReport", "technical_drift"]


@dataclass(frozen=True)
class TechnicalDriftReport:
    """What :func:`technical_drift` found, check by check.

    Parameters
    ----------
    package : pathlib.Path
        The package folder.
    version_differences : list of dict
        One ``{"library", "saved", "installed"}`` per library whose installed version differs
        from the manifest's (``installed`` None: not installed any more).
    predictions_checked : bool
        Whether a reference sample was re-scored.
    n_rows : int
        Rows re-scored.
    n_mismatched : int
        Rows whose prediction differs (beyond the tolerance for probabilities and values).
    max_abs_diff : float or None
        Largest absolute difference of probabilities (classifiers) or values (regressors).
    error : str or None
        Why the model could not be loaded or could not predict, if so.

    Examples
    --------
    >>> print(technical_drift("models/penguins").summary())  # doctest: +SKIP
    """

    package: Path
    version_differences: list[dict[str, str | None]] = field(default_factory=list)
    predictions_checked: bool = False
    n_rows: int = 0
    n_mismatched: int = 0
    max_abs_diff: float | None = None
    error: str | None = None

    @property
    def versions_ok(self) -> bool:
        """Whether the installed versions are the manifest's."""
        return not self.version_differences

    @property
    def predictions_ok(self) -> bool | None:
        """Whether every reference prediction matched; None if there was nothing to check."""
        if not self.predictions_checked:
            return None
        return self.error is None and self.n_mismatched == 0

    @property
    def failed_checks(self) -> list[str]:
        """``"versions"`` and/or ``"predictions"``: the checks that failed."""
        return [
            name
            for name, ok in (("versions", self.versions_ok), ("predictions", self.predictions_ok))
            if ok is False
        ]

    @property
    def ok(self) -> bool:
        """Whether no check failed."""
        return not self.failed_checks

    def _predictions_status(self) -> str:
        if not self.predictions_checked:
            return "not checked (no reference sample)"
        if self.error is not None:
            return f"FAILED: {self.error}"
        if self.n_mismatched:
            return f"FAILED ({self.n_mismatched} of {self.n_rows} rows differ)"
        return f"ok ({self.n_rows} rows)"

    def summary(self) -> str:
        """Return a few lines: each check's verdict, the changed versions, the differences."""
        versions = "ok" if self.versions_ok else f"FAILED ({len(self.version_differences)} changed)"
        lines = [
            f"Technical drift of {self.package}: {'none' if self.ok else 'DETECTED'}",
            f"  versions:    {versions}",
        ]
        lines += [
            f"    {d['library']}: saved {d['saved']}, installed {d['installed'] or 'none'}"
            for d in self.version_differences
        ]
        lines.append(f"  predictions: {self._predictions_status()}")
        if self.max_abs_diff is not None and self.predictions_checked:
            lines.append(f"    largest absolute difference: {self.max_abs_diff:.3g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        versions = "ok" if self.versions_ok else f"{len(self.version_differences)} changed"
        return (
            f"TechnicalDriftReport(ok={self.ok}, versions={versions!r}, "
            f"predictions={self._predictions_status()!r})"
        )


def _load_quietly(package: Path, trusted: bool) -> Any:
    # The version check reports differences itself; the loader's warning would repeat it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EnvironmentMismatchWarning)
        return load_model(package, trusted=trusted)


def _compare(
    expected: dict[str, Any], actual: dict[str, Any], rtol: float, atol: float
) -> tuple[int, float | None]:
    """Return (rows that differ, largest absolute difference or None)."""
    mismatched = np.asarray(expected["prediction"]) != np.asarray(actual["prediction"])
    if "proba" in expected:
        want, got = np.asarray(expected["proba"]), np.asarray(actual["proba"])
        mismatched |= ~np.isclose(got, want, rtol=rtol, atol=atol).all(axis=1)
        return int(mismatched.sum()), float(np.max(np.abs(got - want)))
    want, got = np.asarray(expected["prediction"]), np.asarray(actual["prediction"])
    if want.dtype.kind in "fiu" and got.dtype.kind in "fiu":
        mismatched = ~np.isclose(got, want, rtol=rtol, atol=atol)
        return int(mismatched.sum()), float(np.max(np.abs(got - want)))
    return int(mismatched.sum()), None


def technical_drift(
    package_path: str | Path,
    reference_X: pd.DataFrame | None = None,
    expected: Any = None,
    *,
    trusted: bool = False,
    rtol: float = 1e-7,
    atol: float = 1e-9,
) -> TechnicalDriftReport:
    """Check a model package against the running environment: versions, then predictions.

    Parameters
    ----------
    package_path : str or pathlib.Path
        The model package folder.
    reference_X : pandas.DataFrame, default=None
        Inputs to re-score, with ``expected``. By default the package's reference sample
        (:func:`~prodml_workshop.packaging.read_reference`); without one the prediction check
        is skipped.
    expected : array-like, default=None
        The predictions ``reference_X`` had when the model was saved (labels or values).
    trusted : bool, default=False
        Passed to :func:`~prodml_workshop.packaging.load_model`.
    rtol, atol : float
        Tolerance for probabilities and numeric predictions (labels must be equal).

    Returns
    -------
    TechnicalDriftReport
        ``ok``, ``failed_checks`` (``"versions"``, ``"predictions"``), the changed versions,
        the rows that differ; ``print(report)`` shows a summary. A model that cannot be
        loaded or cannot predict fails the prediction check, with the error in ``error``.

    Raises
    ------
    DriftInputError
        If only one of ``reference_X`` and ``expected`` is given, or they differ in length.
    InvalidReferenceError
        If the stored reference was scored by another artifact (the model was saved again).
    MissingArtifactError
        If the folder holds no ``manifest.json``, or a reference file listed in it.
    ChecksumMismatchError
        If a reference file changed since it was stored; a changed model artifact is a
        finding instead (the model cannot load: ``error`` says why).

    Examples
    --------
    >>> report = technical_drift("models/penguins")  # doctest: +SKIP
    >>> report.failed_checks  # doctest: +SKIP
    ['versions']
    """
    package = Path(package_path)
    manifest = read_manifest(package)
    differences = environment_differences(manifest.get("library_versions", {}))
    if (reference_X is None) != (expected is None):
        raise DriftInputError("Pass both reference_X and expected, or neither.")
    if reference_X is not None:
        want = {"prediction": np.asarray(expected).tolist()}
        if len(want["prediction"]) != len(reference_X):
            raise DriftInputError(
                f"expected has {len(want['prediction'])} predictions for "
                f"{len(reference_X)} rows of reference_X."
            )
    else:
        stored = read_reference(package)
        if stored is None:
            return TechnicalDriftReport(package, differences)
        reference_X, want = stored
    try:
        got = reference_outputs(_load_quietly(package, trusted), reference_X)
    except Exception as exc:  # the failure to load or predict is the finding
        return TechnicalDriftReport(
            package,
            differences,
            predictions_checked=True,
            n_rows=len(reference_X),
            n_mismatched=len(reference_X),
            error=f"{type(exc).__name__}: {exc}",
        )
    if "proba" not in want:
        got.pop("proba", None)
    n_mismatched, max_abs_diff = _compare(want, got, rtol, atol)
    return TechnicalDriftReport(
        package,
        differences,
        predictions_checked=True,
        n_rows=len(reference_X),
        n_mismatched=n_mismatched,
        max_abs_diff=max_abs_diff,
    )
