"""Library versions: what a package was saved with, and how that differs from what is installed."""

from __future__ import annotations

import functools
import platform
from importlib import metadata

__all__ = ["TRACKED_LIBRARIES", "environment_differences", "library_versions"]

#: Distributions whose versions a manifest records (those installed), besides Python itself.
TRACKED_LIBRARIES = (
    "scikit-learn",
    "numpy",
    "pandas",
    "joblib",
    "skops",
    "onnx",
    "onnxruntime",
    "skl2onnx",
    "sklearn2pmml",
    "jpmml_evaluator",
    "torch",
    "safetensors",
)


@functools.cache
def _installed() -> tuple[tuple[str, str], ...]:
    # Each metadata.version() reads a distribution's METADATA file (~6 ms for the twelve), and
    # every save and load asks: read once per process, the versions it started with.
    versions = [("python", platform.python_version())]
    for name in TRACKED_LIBRARIES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(versions)


def library_versions() -> dict[str, str]:
    """Return the versions of Python and of the tracked libraries that are installed.

    They are read at the first call and kept for the process: a library upgraded while a
    kernel runs is only used once the kernel restarts, and so is its new version here.

    Returns
    -------
    dict of str to str
        ``{"python": "3.11.9", "scikit-learn": "1.9.0", ...}`` (a new dict each call);
        libraries that are not installed are left out.

    Examples
    --------
    >>> "python" in library_versions()
    True
    """
    return dict(_installed())


def environment_differences(saved: dict[str, str]) -> list[dict[str, str | None]]:
    """Compare recorded library versions with the installed ones.

    Parameters
    ----------
    saved : dict of str to str
        The ``library_versions`` of a manifest.

    Returns
    -------
    list of dict
        One ``{"library", "saved", "installed"}`` dict per library whose installed version
        differs from the saved one; ``"installed"`` is ``None`` for a library that is not
        installed. Empty when the environments match.

    Examples
    --------
    >>> environment_differences({"numpy": "0.1"})[0]["saved"]
    '0.1'
    """
    installed = library_versions()
    return [
        {"library": name, "saved": version, "installed": installed.get(name)}
        for name, version in saved.items()
        if installed.get(name) != version
    ]
