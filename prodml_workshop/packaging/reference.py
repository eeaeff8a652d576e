"""A package's reference: a sample of the training data, its predictions, its feature profile.

``save_model(..., reference=X)`` stores it with the model; :func:`save_reference` adds it to a
package saved before, or replaces it. It is three artifacts of the package, listed in the
manifest with their SHA-256 like the model's, so that :func:`~.load.load_model` verifies them
and refuses a file changed by hand:

* ``reference.parquet`` (:data:`~.manifest.REFERENCE_DATA`): the sample, dtypes kept;
* ``reference.json`` (:data:`~.manifest.REFERENCE_META`): the predictions (and probabilities)
  the package gave the sample when it was stored, and the model artifacts that gave them. The
  technical-drift check re-scores the sample and compares; the prediction-drift check compares
  production's outputs with them;
* ``reference_profile.json`` (:data:`~.manifest.REFERENCE_PROFILE`): the profile of the
  sample's model features (:func:`~.reference_profile.feature_profile`), which the service
  checks every record against.

:func:`read_reference` and :func:`read_profile` read them back, verified. Saving a model again
over a package keeps its reference (the same training data, usually), but the predictions were
the old model's: :func:`read_reference` then asks for :func:`save_reference` again.

Examples
--------
>>> from prodml_workshop.packaging import read_profile, save_model
>>> save_model(pipeline, "models/penguins", format="skops", sample_input=X_train.head(),
...            reference=X_train)  # doctest: +SKIP
>>> read_profile("models/penguins")["features"]["island"]  # doctest: +SKIP
{'kind': 'categorical', 'categories': ['Biscoe', 'Dream', 'Torgersen'], 'missing': 0.0}
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .checksums import sha256_file, verify_artifacts
from .errors import EnvironmentMismatchWarning, InvalidPackageError, InvalidReferenceError
from .load import LoadedModel, load_model
from .manifest import (
    REFERENCE_DATA,
    REFERENCE_FILES,
    REFERENCE_META,
    REFERENCE_PROFILE,
    check_reference_listed,
    model_artifacts,
    read_manifest,
    utc_now,
    write_manifest,
)
from .reference_profile import DEFAULT_MARGIN, check_reference_sample, feature_profile

__all__ = ["read_profile", "read_reference", "reference_outputs", "save_reference"]


def reference_outputs(model: LoadedModel, X: pd.DataFrame) -> dict[str, Any]:
    """Return what ``reference.json`` stores of a sample: the model's outputs, JSON-safe.

    Parameters
    ----------
    model : LoadedModel
        A loaded package.
    X : pandas.DataFrame
        The sample.

    Returns
    -------
    dict
        ``{"prediction": [...]}`` (a label or value per row), and ``"proba"`` (a list of class
        probabilities per row) for a classifier that has them.
    """
    outputs: dict[str, Any] = {"prediction": np.asarray(model.predict(X)).tolist()}
    if model.manifest.get("has_predict_proba"):
        outputs["proba"] = np.asarray(model.predict_proba(X), dtype=float).tolist()
    return outputs


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
    trusted: bool | Sequence[str] = False,
    margin: float = DEFAULT_MARGIN,
) -> Path:
    """Score a sample with the packaged model and store both, and its profile, in the package.

    ``save_model(..., reference=X)`` does the same as it saves. Call this for a package saved
    without a reference, or to replace one, in the environment the model was saved in: the
    stored predictions are what the technical-drift check expects. The profile of the sample's
    model features (ranges, categories, missing shares; see
    :func:`~.reference_profile.feature_profile`) is what the service checks every record
    against: pass the training rows (or a large sample of them), so that it holds the ranges
    the model was trained on. The three files are listed in the manifest with their SHA-256,
    which changes the package's model version.

    Parameters
    ----------
    package_path : str or pathlib.Path
        The model package folder.
    X : pandas.DataFrame
        A sample of inputs, e.g. the training rows (stored as Parquet, dtypes kept; extra
        columns such as a day are kept in the sample and left out of the profile).
    trusted : bool or list of str, default=False
        Passed to :func:`~.load.load_model`.
    margin : float, default=DEFAULT_MARGIN
        The profile's margin: how far past a feature's range, as a share of its width, a
        value is still in range.

    Returns
    -------
    pathlib.Path
        The package folder.

    Raises
    ------
    InvalidReferenceError
        If ``X`` is not a non-empty DataFrame, or ``margin`` is negative.

    Examples
    --------
    >>> save_reference("models/penguins", X_train)  # doctest: +SKIP
    PosixPath('models/penguins')
    """
    check_reference_sample(X, margin)
    package = Path(package_path)
    manifest = read_manifest(package)
    for name in REFERENCE_FILES:  # an unlisted old copy is replaced, never read
        if name not in manifest["artifacts"]:
            (package / name).unlink(missing_ok=True)
    with warnings.catch_warnings():  # the technical-drift check reports version differences
        warnings.simplefilter("ignore", EnvironmentMismatchWarning)
        model = load_model(package, trusted=trusted)
    X = X.reset_index(drop=True)
    profile = feature_profile(_model_features(X, manifest), margin=margin)
    meta = {
        "created_at": utc_now(),
        "artifacts": model_artifacts(manifest),
        "n_rows": len(X),
        **reference_outputs(model, X),
    }
    X.to_parquet(package / REFERENCE_DATA, index=False)
    (package / REFERENCE_META).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    (package / REFERENCE_PROFILE).write_text(json.dumps(profile) + "\n", encoding="utf-8")
    for name in REFERENCE_FILES:
        file = package / name
        manifest["artifacts"][name] = {
            "sha256": sha256_file(file),
            "size_bytes": file.stat().st_size,
        }
    write_manifest(package, manifest)
    return package


def _verified(package: Path, manifest: dict[str, Any], names: Sequence[str]) -> bool:
    """Verify the listed reference files; False when the package has no reference."""
    check_reference_listed(package, manifest)
    listed = [name for name in REFERENCE_FILES if name in manifest["artifacts"]]
    if not listed:
        return False
    if len(listed) < len(REFERENCE_FILES):
        raise InvalidPackageError(
            f"The manifest of {package} lists only {listed} of the reference's files "
            f"{list(REFERENCE_FILES)}; run save_reference(package, X) again."
        )
    verify_artifacts(package, {name: manifest["artifacts"][name] for name in names})
    return True


def read_reference(package_path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """Read a package's reference sample and the predictions stored for it, verified.

    Parameters
    ----------
    package_path : str or pathlib.Path
        A model package folder.

    Returns
    -------
    (pandas.DataFrame, dict) or None
        The sample (every column it was stored with), and ``reference.json``: ``prediction``
        (one label or value per row), ``proba`` (classifiers that have it), ``n_rows``,
        ``created_at`` and ``artifacts`` (the model artifacts that made them); ``None`` if the
        package has no reference.

    Raises
    ------
    MissingArtifactError
        If the folder holds no ``manifest.json``, or a listed reference file is missing.
    ChecksumMismatchError
        If a reference file changed since it was stored.
    InvalidPackageError
        If reference files lie in the folder unlisted (an older package), or only some are
        listed.
    InvalidReferenceError
        If the predictions were made by another model artifact than the package's (the model
        was saved again over the package): run :func:`save_reference` again.

    Examples
    --------
    >>> sample, meta = read_reference("models/penguins")  # doctest: +SKIP
    >>> len(sample) == len(meta["prediction"])  # doctest: +SKIP
    True
    """
    package = Path(package_path)
    manifest = read_manifest(package)
    if not _verified(package, manifest, (REFERENCE_DATA, REFERENCE_META)):
        return None
    meta = json.loads((package / REFERENCE_META).read_text(encoding="utf-8"))
    if meta["artifacts"] != model_artifacts(manifest):
        raise InvalidReferenceError(
            f"The reference sample in {package} was scored with another artifact than the one "
            "the package holds now (the model was saved again); run save_reference again."
        )
    return pd.read_parquet(package / REFERENCE_DATA), meta


def read_profile(package_path: str | Path) -> dict[str, Any] | None:
    """Read a package's reference profile, verified, if it has one.

    Parameters
    ----------
    package_path : str or pathlib.Path
        A model package folder (or its copy in BentoML's model store).

    Returns
    -------
    dict or None
        The profile (see :func:`~.reference_profile.feature_profile`); ``None`` if the package
        has no reference.

    Raises
    ------
    MissingArtifactError
        If the folder holds no ``manifest.json``, or the listed profile is missing.
    ChecksumMismatchError
        If the profile changed since it was stored (edited by hand, say).
    InvalidPackageError
        If reference files lie in the folder unlisted (an older package), or the file is not
        a profile.

    Examples
    --------
    >>> read_profile("models/penguins")["features"]["island"]  # doctest: +SKIP
    {'kind': 'categorical', 'categories': ['Biscoe', 'Dream', 'Torgersen'], 'missing': 0.0}
    """
    package = Path(package_path)
    if not _verified(package, read_manifest(package), (REFERENCE_PROFILE,)):
        return None
    path = package / REFERENCE_PROFILE
    try:
        profile = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidPackageError(
            f"{path} is not valid JSON ({exc}); run save_reference(package, X) again."
        ) from exc
    if not isinstance(profile, dict) or not isinstance(profile.get("features"), dict):
        raise InvalidPackageError(
            f"{path} holds no 'features'; run save_reference(package, X) again."
        )
    return profile
