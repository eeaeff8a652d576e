"""Load a model package safely: trust, checksums and versions are checked before any bytes."""

from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .checksums import verify_artifacts
from .errors import EnvironmentMismatchWarning, InvalidPackageError, UntrustedFormatError
from .formats import get_format
from .manifest import check_reference_listed, read_manifest
from .predictors import as_model_input
from .versions import environment_differences

__all__ = ["LoadedModel", "check_trusted", "load_model"]


class _IfProbabilities:
    """``predict_proba`` on models whose manifest says they have it; no such attribute elsewhere.

    What scikit-learn's ``available_if`` does (``hasattr`` is False for a regressor), without
    importing scikit-learn (~50 MB of a kernel's memory) into a process that loads only, e.g.,
    the set-up check's.
    """

    def __init__(self, method: Callable[..., np.ndarray]) -> None:
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, loaded: LoadedModel | None, owner: type | None = None) -> Callable:
        if loaded is None:
            return self.method
        if not loaded.manifest["has_predict_proba"]:
            raise AttributeError(
                f"This {loaded.manifest['model_class'].split(':')[-1]} model has no predict_proba "
                "(a regressor, or a classifier without probabilities): use predict."
            )
        return types.MethodType(self.method, loaded)


class LoadedModel:
    """A model loaded from a package, with scikit-learn's ``predict``/``predict_proba``.

    Parameters
    ----------
    predictor : object
        What the format's loader returned; has ``predict`` and maybe ``predict_proba``.
    manifest : dict
        The package's manifest.
    path : pathlib.Path
        The package folder.

    Attributes
    ----------
    manifest : dict
        The package's manifest (see :func:`read_manifest`).
    format : str
        The package's format.
    classes_ : numpy.ndarray or None
        The class labels of a classifier, in the order of ``predict_proba``'s columns.
    """

    def __init__(self, predictor: Any, manifest: dict[str, Any], path: Path) -> None:
        self.predictor = predictor
        self.manifest = manifest
        self.path = path
        self.format = manifest["format"]
        classes = manifest["classes"]
        self.classes_ = np.asarray(classes) if classes is not None else None

    def __repr__(self) -> str:
        return (
            f"LoadedModel(format={self.format!r}, model_class={self.manifest['model_class']!r}, "
            f"path='{self.path}')"
        )

    def _columns(self, X: Any) -> Any:
        X = as_model_input(X)
        schema = self.manifest["input_schema"]
        if not (isinstance(X, pd.DataFrame) and schema and schema["type"] == "dataframe"):
            return X
        # The schema stores names as text; a frame may name its columns 0, 1, ...
        by_name = {str(column): column for column in X.columns}
        names = [column["name"] for column in schema["columns"]]
        missing = [name for name in names if name not in by_name]
        if missing:
            raise ValueError(f"X lacks the columns {missing} that the model was saved with.")
        return X[[by_name[name] for name in names]]

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels (classification) or values (regression).

        Parameters
        ----------
        X : pandas.DataFrame, numpy.ndarray or torch.Tensor of shape (n_samples, n_features)
            The input, with the columns of the manifest's input schema (extra columns are
            ignored).

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The predictions.
        """
        return np.asarray(self.predictor.predict(self._columns(X)))

    @_IfProbabilities
    def predict_proba(self, X: Any) -> np.ndarray:
        """Predict class probabilities (classifiers that have them).

        Parameters
        ----------
        X : pandas.DataFrame, numpy.ndarray or torch.Tensor of shape (n_samples, n_features)
            The input, as for :meth:`predict`.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return np.asarray(self.predictor.predict_proba(self._columns(X)))


def _warn_on_environment_differences(manifest: dict[str, Any]) -> None:
    differences = environment_differences(manifest.get("library_versions", {}))
    if not differences:
        return
    lines = "\n".join(
        f"  {diff['library']}: saved {diff['saved']}, installed {diff['installed'] or 'none'}"
        for diff in differences
    )
    warnings.warn(
        EnvironmentMismatchWarning(
            "This package was saved under other library versions; predictions may differ "
            f"or loading may fail. Retrain/re-save under the current versions, or install "
            f"the saved ones.\n{lines}",
            differences,
        ),
        stacklevel=3,
    )


def check_trusted(trusted: Any) -> bool | tuple[str, ...]:
    """Return ``trusted`` as a bool or a tuple of type names, or raise TypeError.

    Examples
    --------
    >>> check_trusted(["sklearn.tree._tree.Tree"])
    ('sklearn.tree._tree.Tree',)
    """
    if isinstance(trusted, bool):
        return trusted
    if isinstance(trusted, str) or not all(isinstance(name, str) for name in trusted):
        raise TypeError(
            "trusted must be True, False or a list of type names such as "
            "['sklearn.tree._tree.Tree'], not " + repr(trusted) + "."
        )
    return tuple(trusted)


def load_model(path: str | Path, *, trusted: bool | Sequence[str] = False) -> LoadedModel:
    """Load a model package written by :func:`save_model`.

    Before reading any artifact byte into a deserializer, the loader refuses formats that can
    run code (pickle, joblib) unless ``trusted=True``, checks that every artifact (the
    reference's too, see :func:`save_reference`) exists and has its recorded SHA-256, and warns
    if the package was saved under other library versions.

    Parameters
    ----------
    path : str or pathlib.Path
        The package folder.
    trusted : bool or list of str, default=False
        ``True`` allows formats that can run code when loaded (pickle, joblib) and every
        type in a skops file: only for packages you created yourself or whose origin you
        trust. A list of type names (as ``skops.io.load`` takes) trusts those types in a
        skops file, besides skops' defaults and :data:`SKOPS_SAFE_TYPES`; it does not open
        pickle or joblib. Trust never comes from the package's own files.

    Returns
    -------
    LoadedModel
        An object with ``predict(X)``, ``predict_proba(X)`` for classifiers that have it,
        and the package's ``manifest``.

    Raises
    ------
    UntrustedFormatError
        If the format can run code and ``trusted`` is not ``True``.
    MissingArtifactError
        If ``manifest.json`` or an artifact is missing (a ``FileNotFoundError``).
    InvalidPackageError
        If the manifest is not one that ``save_model`` writes, or the folder holds reference
        files that the manifest does not list (a package from before references were
        artifacts: run ``save_reference(package, X)`` again).
    ChecksumMismatchError
        If an artifact changed since it was saved (a reference profile edited by hand, say).
    UnsafeContentError
        If an artifact holds objects the safe loader refuses.
    ArchitectureError
        If a PyTorch module cannot be rebuilt from its recorded architecture.
    JavaNotFoundError
        If the package is PMML and no Java runtime is installed.

    Warns
    -----
    EnvironmentMismatchWarning
        If the installed library versions differ from those the package was saved with.

    Examples
    --------
    >>> from prodml_workshop.packaging import load_model
    >>> model = load_model("models/penguins")  # doctest: +SKIP
    >>> model.manifest["input_schema"]  # doctest: +SKIP
    """
    trusted = check_trusted(trusted)
    path = Path(path)
    manifest = read_manifest(path)
    fmt = get_format(manifest["format"])
    if fmt.runs_code_on_load and trusted is not True:
        raise UntrustedFormatError(
            f"This package was saved with format {fmt.name!r}, which can run code when "
            "loaded. Pass trusted=True only for files you created yourself (a list of type "
            "names applies to skops only); to share a model, save it with a format that "
            "cannot run code (skops, onnx, pmml, torch, safetensors)."
        )
    if fmt.artifact not in manifest["artifacts"]:
        raise InvalidPackageError(
            f"The manifest of {path} does not list the {fmt.name} artifact {fmt.artifact!r}, "
            "so its checksum cannot be verified; save the model again."
        )
    check_reference_listed(path, manifest)
    verify_artifacts(path, manifest["artifacts"])
    _warn_on_environment_differences(manifest)
    predictor = fmt.load(path / fmt.artifact, manifest, trusted)
    return LoadedModel(predictor, manifest, path)
