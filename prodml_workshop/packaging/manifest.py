"""The manifest of a model package: ``manifest.json``, what the package holds and how to load it.

The manifest is the package's root of trust: the artifacts' checksums live in it, and it is not
itself checksummed. Checksums therefore catch corrupted, truncated or edited artifacts, not
someone who rewrites the manifest too; sign or store the manifest separately for that.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InvalidPackageError, MissingArtifactError

__all__ = ["MANIFEST_NAME", "MANIFEST_VERSION", "read_manifest", "write_manifest"]

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


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
