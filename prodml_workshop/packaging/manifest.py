"""The manifest of a model package: ``manifest.json``, what the package holds and how to load it.

The manifest is the package's root of trust: the artifacts' checksums live in it, and it is not
itself checksummed. Checksums therefore catch corrupted, truncated or edited artifacts, not
someone who rewrites the manifest too; sign or store the manifest separately for that.

Every file of a package is an artifact listed there: the model's (one per format) and, when the
package has a reference (see :mod:`.reference`), the three :data:`REFERENCE_FILES`. A package
saved before the reference became artifacts holds them unlisted: :func:`check_reference_listed`
refuses it, saying how to store the reference again.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InvalidPackageError, MissingArtifactError

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "REFERENCE_DATA",
    "REFERENCE_FILES",
    "REFERENCE_META",
    "REFERENCE_PROFILE",
    "check_reference_listed",
    "model_artifacts",
    "read_manifest",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
#: The reference sample, as Parquet (dtypes kept).
REFERENCE_DATA = "reference.parquet"
#: The predictions the package gave the sample, and the model artifacts that gave them.
REFERENCE_META = "reference.json"
#: The profile of the sample's model features, which records are checked against.
REFERENCE_PROFILE = "reference_profile.json"
#: The artifacts of a package's reference, in the order they are written.
REFERENCE_FILES = (REFERENCE_DATA, REFERENCE_META, REFERENCE_PROFILE)


def utc_now() -> str:
    """Return the current UTC time in ISO 8601, e.g. ``"2026-01-31T12:00:00+00:00"``."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_manifest(package: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` into a package folder.

    Parameters
    ----------
    package : str or pathlib.Path
        The package folder.
    manifest : dict
        JSON-safe manifest content.

    Returns
    -------
    pathlib.Path
        The path of the manifest file.
    """
    path = Path(package) / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read the manifest of a model package.

    Parameters
    ----------
    path : str or pathlib.Path
        The package folder (or its ``manifest.json``).

    Returns
    -------
    dict
        Keys ``manifest_version``, ``format``, ``created_at``, ``model_class``, ``task``,
        ``classes``, ``has_predict_proba``, ``hyperparameters``, ``architecture``,
        ``input_schema``, ``library_versions``, ``metadata`` and ``artifacts``.

    Raises
    ------
    MissingArtifactError
        If there is no ``manifest.json``.
    InvalidPackageError
        If the manifest is not valid JSON or is not a manifest.

    Examples
    --------
    >>> from prodml_workshop.packaging import read_manifest
    >>> read_manifest("models/penguins")["format"]  # doctest: +SKIP
    'onnx'
    """
    path = Path(path)
    if path.name != MANIFEST_NAME:
        path = path / MANIFEST_NAME
    if not path.is_file():
        raise MissingArtifactError(
            f"{path} does not exist: {path.parent} is not a model package. "
            "Pass the folder that save_model wrote."
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidPackageError(
            f"{path} is not valid JSON ({exc}); save the model again."
        ) from exc
    missing = {"format", "artifacts"} - set(manifest) if isinstance(manifest, dict) else {"all"}
    if missing:
        raise InvalidPackageError(
            f"{path} is not a model manifest: it lacks {sorted(missing)}. Pass the folder "
            "that save_model wrote."
        )
    return manifest


def model_artifacts(manifest: dict[str, Any]) -> dict[str, Any]:
    """Return the manifest's artifacts of the model itself, without the reference's.

    Examples
    --------
    >>> model_artifacts({"artifacts": {"model.onnx": {}, "reference.json": {}}})
    {'model.onnx': {}}
    """
    return {
        name: record
        for name, record in manifest["artifacts"].items()
        if name not in REFERENCE_FILES
    }


def check_reference_listed(package: str | Path, manifest: dict[str, Any]) -> None:
    """Refuse a package that holds reference files its manifest does not list.

    Such files come from a package saved before the reference became artifacts (or were
    copied in by hand): nothing can tell whether they were changed, so nothing reads them.

    Parameters
    ----------
    package : str or pathlib.Path
        The package folder.
    manifest : dict
        Its manifest.

    Raises
    ------
    InvalidPackageError
        Naming the files and how to store the reference again.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / REFERENCE_PROFILE).write_text("{}")
    >>> check_reference_listed(folder, {"artifacts": {"model.onnx": {}}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    prodml_workshop.packaging.errors.InvalidPackageError: ... save_reference(package, X) again ...
    """
    package = Path(package)
    unlisted = [
        name
        for name in REFERENCE_FILES
        if name not in manifest["artifacts"] and (package / name).is_file()
    ]
    if unlisted:
        raise InvalidPackageError(
            f"{package} holds {unlisted}, which its manifest does not list, so their checksums "
            "cannot be verified: a reference stored by an older version of this course, or a "
            "file copied in by hand. Nothing was loaded. Run save_reference(package, X) again "
            "(X: the training rows, or a large sample of them) to store the reference with "
            "its checksums in the manifest, or delete these files."
        )
