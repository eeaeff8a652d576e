"""Exceptions and warnings raised when saving or loading a model package."""

from __future__ import annotations

__all__ = [
    "ArchitectureError",
    "ChecksumMismatchError",
    "EnvironmentMismatchWarning",
    "JavaNotFoundError",
    "MissingArtifactError",
    "PackagingError",
    "UnsafeContentError",
    "UnsupportedFormatError",
    "UntrustedFormatError",
]


class PackagingError(Exception):
    """Base class of every error raised by :mod:`prodml_workshop.packaging`."""


class UntrustedFormatError(PackagingError):
    """The package's format can run code when loaded and the caller did not trust it."""


class UnsafeContentError(PackagingError):
    """An artifact holds objects that the format's safe loader refuses to build."""


class ChecksumMismatchError(PackagingError):
    """An artifact's bytes differ from the SHA-256 recorded in the manifest."""


class MissingArtifactError(PackagingError):
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
    """PMML was asked for but no Java runtime was found."""


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
