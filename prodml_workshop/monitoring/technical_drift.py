"""Technical drift: does the model package still run as it did when it was saved?

Two checks. *Versions*: the library versions recorded in the package's manifest against the
installed ones (:func:`~prodml_workshop.packaging.environment_differences`). *Predictions*: a
reference sample, scored when the package was made, scored again now — an upgrade can change
predictions without any error. :func:`save_reference` stores the sample and its predictions in
the package folder (``reference.parquet`` and ``reference.json``), and the profile of its
features that the service checks every record against (``reference_profile.json``, see
:mod:`.data_quality`); :func:`technical_drift` runs both checks and says which one failed.

Examples
--------
>>> from prodml_workshop.packaging import save_model
>>> save_model(pipeline, "models/penguins", format="skops",
...            sample_input=X_train.head())  # doctest: +SKIP
>>> save_reference("models/penguins", X_test)  # doctest: +SKIP
>>> technical_drift("models/penguins")  # doctest: +SKIP
TechnicalDriftReport(ok=True, versions='ok', predictions='ok (87 rows)')
"""

from __future__ import annotations

import json
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
)
from prodml_workshop.packaging.manifest import utc_now

from .data_quality import DEFAULT_MARGIN, REFERENCE_PROFILE, feature_profile
from .drift_input import DriftInputError

__all__ = [
    "REFERENCE_DATA",
    "REFERENCE_META",
    "TechnicalDriftReport",
    "save_reference",
    "technical_drift",
]

#: The reference inputs, written into the package folder by :func:`save_reference`.
REFERENCE_DATA = "reference.parquet"
#: The expected predictions and when and for which artifacts they were made.
REFERENCE_META = "reference.json"


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


def _outputs(model: Any, X: pd.DataFrame) -> dict[str, Any]:
    """Predictions (and probabilities for classifiers that have them) as JSON-safe lists."""
    outputs: dict[str, Any] = {"prediction": np.asarray(model.predict(X)).tolist()}
    if model.manifest.get("has_predict_proba"):
        outputs["proba"] = np.asarray(model.predict_proba(X), dtype=float).tolist()
    return outputs


def _load_quietly(package: Path, trusted: bool) -> Any:
    # The version check reports differences itself; the loader's warning would repeat it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EnvironmentMismatchWarning)
        return load_model(package, trusted=trusted)


def _model_features(X: pd.DataFrame, manifest: dict[str, Any]) -> pd.DataFrame:
    """The sample's model features, under the names the service gives them."""
    schema = manifest.get("input_schema") or {}
    if schema.get("type") == "ndarray" and X.shape[1] == schema["n_features"]:
        return X.set_axis([f"x{i}" for i in range(X.shape[1])], axis=1)
    names = [column["name"] for column in schema.get("columns", [])]
    if names and all(name in X.columns for name in names):
        return X[names]  # e.g. without the day column the capstone keeps in its reference
    return X


def save_reference(
    package_path: str | Path,
    X: pd.DataFrame,
    *,
    trusted: bool = False,
    margin: float = DEFAULT_MARGIN,
) -> Path:
    """Score a sample with the packaged model and store both in the package folder.

    Do this right after :func:`~prodml_workshop.packaging.save_model`, in the environment
    the model was saved in: the stored predictions are what :func:`technical_drift` expects.
    The profile of the sample's model features (ranges and categories, see
    :func:`~.data_quality.feature_profile`) is stored too, as ``reference_profile.json``: the
    service checks every record against it. Pass the training rows (or a large sample of
    them), so that the profile holds the ranges the model was trained on.

    Parameters
    ----------
    package_path : str or pathlib.Path
        The model package folder.
    X : pandas.DataFrame
        A sample of inputs, e.g. a few hundred test rows (stored as Parquet, dtypes kept).
    trusted : bool, default=False
        Passed to :func:`~prodml_workshop.packaging.load_model`.
    margin : float, default=DEFAULT_MARGIN
        The profile's margin: how far past a feature's range, as a share of its width, a
        value is still in range.

    Returns
    -------
    pathlib.Path
        The path of ``reference.json``.

    Raises
    ------
    DriftInputError
        If ``X`` is not a non-empty DataFrame, or ``margin`` is negative.

    Examples
    --------
    >>> save_reference("models/penguins", X_test)  # doctest: +SKIP
    PosixPath('models/penguins/reference.json')
    """
    if not isinstance(X, pd.DataFrame) or X.empty:
        raise DriftInputError("The reference sample must be a non-empty pandas DataFrame.")
    package = Path(package_path)
    model = _load_quietly(package, trusted)
    X = X.reset_index(drop=True)
    profile = feature_profile(_model_features(X, model.manifest), margin=margin)
    X.to_parquet(package / REFERENCE_DATA, index=False)
    meta = {
        "created_at": utc_now(),
        "artifacts": read_manifest(package)["artifacts"],
        "n_rows": len(X),
        **_outputs(model, X),
    }
    (package / REFERENCE_PROFILE).write_text(json.dumps(profile) + "\n", encoding="utf-8")
    path = package / REFERENCE_META
    path.write_text(json.dumps(meta) + "\n", encoding="utf-8")
    return path


def _read_reference(package: Path) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    meta_path = package / REFERENCE_META
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["artifacts"] != read_manifest(package)["artifacts"]:
        raise DriftInputError(
            f"The reference sample in {package} was scored with another artifact than the one "
            "the package holds now (the model was saved again); run save_reference again."
        )
    return pd.read_parquet(package / REFERENCE_DATA), meta


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
        Inputs to re-score, with ``expected``. By default the sample stored by
        :func:`save_reference`; without one the prediction check is skipped.
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
        If only one of ``reference_X`` and ``expected`` is given, they differ in length, or the
        stored reference was made for another artifact.
    MissingArtifactError
        If the folder holds no ``manifest.json``.

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
        stored = _read_reference(package)
        if stored is None:
            return TechnicalDriftReport(package, differences)
        reference_X, want = stored
    try:
        got = _outputs(_load_quietly(package, trusted), reference_X)
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
