"""Model packages: save a trained model with its manifest, and load it back safely.

A model package is a folder holding the serialized model (the artifact) and
``manifest.json``, which records the format, the library versions, the input schema, the
classes, the hyperparameters and a SHA-256 of every artifact. :func:`save_model` checks that
the package loads and predicts like the model before writing it, or refuses the format saying
why; :func:`format_support` gives that answer for every format. :func:`load_model` refuses
formats that can run code unless trusted, refuses changed or missing artifacts before
deserializing anything, and warns when the installed libraries differ from the saved ones.

A package can also hold its *reference* (``save_model(..., reference=X_train)``, or
:func:`save_reference` later): a sample of the training rows, the predictions the package gave
it, and the profile of its features (:func:`feature_profile`), artifacts like the model's. The
service checks every record against the profile (:func:`quality_reasons`); monitoring re-scores
the sample and compares (:func:`read_reference`). Everything in a package folder is written
here and listed, with its checksum, in the manifest.

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
    InvalidReferenceError,
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
from .manifest import REFERENCE_DATA, REFERENCE_META, REFERENCE_PROFILE, read_manifest
from .reference import read_profile, read_reference, save_reference
from .reference_profile import DEFAULT_MARGIN, feature_profile, quality_issues, quality_reasons
from .save import save_model
from .support import format_support
from .versions import environment_differences, library_versions

__all__ = [
    "DEFAULT_MARGIN",
    "FORMATS",
    "MISSING_STRING",
    "REFERENCE_DATA",
    "REFERENCE_META",
    "REFERENCE_PROFILE",
    "SKOPS_SAFE_TYPES",
    "ArchitectureError",
    "ChecksumMismatchError",
    "EnvironmentMismatchWarning",
    "InvalidPackageError",
    "InvalidReferenceError",
    "JavaNotFoundError",
    "LoadedModel",
    "MissingArtifactError",
    "PackagingError",
    "UnsafeContentError",
    "UnsupportedFormatError",
    "UntrustedFormatError",
    "compare_formats",
    "environment_differences",
    "feature_profile",
    "format_support",
    "formats_for",
    "library_versions",
    "load_model",
    "quality_issues",
    "quality_reasons",
    "read_manifest",
    "read_profile",
    "read_reference",
    "save_model",
    "save_reference",
]
