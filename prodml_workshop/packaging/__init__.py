"""Model packages: save a trained model with its manifest, and load it back safely.

A model package is a folder holding the serialized model (the artifact) and
``manifest.json``, which records the format, the library versions, the input schema, the
classes, the hyperparameters and a SHA-256 of every artifact. :func:`save_model` checks that
the package loads and predicts like the model before writing it, or refuses the format saying
why; :func:`format_support` gives that answer for every format. :func:`load_model` refuses
formats that can run code unless trusted, refuses changed or missing artifacts before
deserializing anything, and warns when the installed libraries differ from the saved ones.

Examples
--------
>>> from prodml_workshop.packaging import compare_formats, load_model, save_model
>>> save_model(pipeline, "models/penguins", format="skops",
...            sample_input=X_train.head())  # doctest: +SKIP
>>> load_model("models/penguins").predict(X_test)  # doctest: +SKIP
"""

from .compare import compare_formats
from .errors import (
    ArchitectureError,
    ChecksumMismatchError,
    EnvironmentMismatchWarning,
    InvalidPackageError,
    JavaNotFoundError,
    MissingArtifactError,
    PackagingError,
    UnsafeContentError,
    UnsupportedFormatError,
    UntrustedFormatError,
)
from .formats import FORMATS, formats_for
from .formats.onnx_sklearn import MISSING_STRING
from .formats.skops_io import SKOPS_SAFE_TYPES
from .load import LoadedModel, load_model
from .manifest import read_manifest
from .save import save_model
from .support import format_support
from .versions import environment_differences, library_versions

__all__ = [
    "FORMATS",
    "MISSING_STRING",
    "SKOPS_SAFE_TYPES",
    "ArchitectureError",
    "ChecksumMismatchError",
    "EnvironmentMismatchWarning",
    "InvalidPackageError",
    "JavaNotFoundError",
    "LoadedModel",
    "MissingArtifactError",
    "PackagingError",
    "UnsafeContentError",
    "UnsupportedFormatError",
    "UntrustedFormatError",
    "compare_formats",
    "environment_differences",
    "format_support",
    "formats_for",
    "library_versions",
    "load_model",
    "read_manifest",
    "save_model",
]
