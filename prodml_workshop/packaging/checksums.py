"""SHA-256 checksums of artifact files, computed at save time and verified before loading."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import ChecksumMismatchError, MissingArtifactError

__all__ = ["sha256_file", "verify_artifacts"]


def sha256_file(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_artifacts(package: str | Path, artifacts: dict[str, dict]) -> None:
    """Check that every artifact exists and has the recorded SHA-256.

    Parameters
    ----------
    package : str or pathlib.Path
        The package folder.
    artifacts : dict
        The manifest's ``artifacts``: file name to ``{"sha256": ..., "size_bytes": ...}``.

    Raises
    ------
    MissingArtifactError
        If an artifact file does not exist.
    ChecksumMismatchError
        If an artifact's bytes changed since it was saved.
    """
    package = Path(package)
    for name, record in artifacts.items():
        file = package / name
        if not file.is_file():
            raise MissingArtifactError(
                f"The artifact {name!r} listed in the manifest is missing from {package}. "
                "Copy the whole package folder, or save the model again."
            )
        actual = sha256_file(file)
        if actual != record["sha256"]:
            raise ChecksumMismatchError(
                f"The artifact {name!r} in {package} does not match its checksum "
                f"(expected SHA-256 {record['sha256']}, found {actual}): the file was changed "
                "or corrupted after it was saved. Nothing was loaded; get an intact copy of "
                "the package or save the model again."
            )
