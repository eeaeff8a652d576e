"""SHA-256 checksums of artifact files, computed at save time and verified before loading.

:func:`flip_byte` changes one byte of a file, as a bit flip or a tampering would: what
:func:`verify_artifacts` catches (the lecture and its exercise show it on a package).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import ChecksumMismatchError, MissingArtifactError
from .manifest import REFERENCE_FILES

__all__ = ["flip_byte", "sha256_file", "verify_artifacts"]


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
        again = (
            "run save_reference(package, X) again"
            if name in REFERENCE_FILES
            else "save the model again"
        )
        if not file.is_file():
            raise MissingArtifactError(
                f"The artifact {name!r} listed in the manifest is missing from {package}. "
                f"Copy the whole package folder, or {again}."
            )
        actual = sha256_file(file)
        if actual != record["sha256"]:
            raise ChecksumMismatchError(
                f"The artifact {name!r} in {package} does not match its checksum "
                f"(expected SHA-256 {record['sha256']}, found {actual}): the file was changed "
                "or corrupted after it was saved. Nothing was loaded; get an intact copy of "
                f"the package or {again}."
            )


def flip_byte(file: str | Path, position: int | None = None) -> int:
    """Invert one byte of a file in place, as a bit flip or a tampering would.

    A package whose artifact was changed this way fails :func:`verify_artifacts`.

    Parameters
    ----------
    file : str or pathlib.Path
        The file to change.
    position : int, default=None
        Offset of the byte; the middle of the file by default.

    Returns
    -------
    int
        The offset of the byte that was changed.

    Raises
    ------
    ValueError
        If the file is empty or ``position`` is outside it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "f.bin"
    >>> _ = file.write_bytes(b"abc")
    >>> flip_byte(file), file.read_bytes()
    (1, b'a\\x9dc')
    """
    file = Path(file)
    data = bytearray(file.read_bytes())
    if position is None:
        position = len(data) // 2
    if not 0 <= position < len(data):
        raise ValueError(f"{file} has {len(data)} bytes; cannot change the byte at {position}.")
    data[position] ^= 0xFF
    file.write_bytes(bytes(data))
    return position
