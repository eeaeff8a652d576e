"""Write a model package: the artifact file(s) and ``manifest.json`` in one folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .checksums import sha256_file
from .environment import library_versions
from .formats import get_format
from .manifest import MANIFEST_NAME, MANIFEST_VERSION, read_manifest, utc_now, write_manifest
from .model_info import describe_model
from .schema import input_schema

__all__ = ["save_model"]


def _prepare_folder(path: Path) -> None:
    if (path / MANIFEST_NAME).is_file():
        # Re-saving into a package (a re-run notebook cell) replaces it, and only it.
        for name in read_manifest(path)["artifacts"]:
            (path / name).unlink(missing_ok=True)
        (path / MANIFEST_NAME).unlink()
    elif path.exists() and any(path.iterdir()):
        raise FileExistsError(
            f"{path} exists, is not empty and is not a model package; "
            "choose a new folder so that nothing in it is overwritten."
        )
    path.mkdir(parents=True, exist_ok=True)


def save_model(
    model: Any,
    path: str | Path,
    *,
    format: str,
    sample_input: Any = None,
    metadata: dict[str, Any] | None = None,
    init_kwargs: dict[str, Any] | None = None,
) -> Path:
    """Save a model as a model package: a folder with the artifact and ``manifest.json``.

    The manifest records the format, the creation time (UTC), the library versions, the input
    schema, the task, the classes, the hyperparameters, the PyTorch architecture, your
    metadata and the SHA-256 of every artifact; see :func:`read_manifest`.

    Parameters
    ----------
    model : fitted scikit-learn estimator or torch.nn.Module
        The model. A PyTorch module is a classifier when it outputs one logit per class
        (its classes are its ``classes_`` attribute if set, else ``0 .. n-1``) and a regressor
        when it outputs one value.
    path : str or pathlib.Path
        The package folder. It is created if needed; an existing package there is replaced,
        any other non-empty folder is refused.
    format : {"pickle", "joblib", "skops", "onnx", "pmml", "torch", "safetensors"}
        The serialization format. ``skops``, ``onnx`` and ``pmml`` are for scikit-learn
        models, ``torch`` and ``safetensors`` for PyTorch modules, ``pickle`` and ``joblib``
        for both (but they can run code when loaded).
    sample_input : pandas.DataFrame or numpy.ndarray, default=None
        A few rows of input. Gives the manifest its input schema; needed by ``onnx`` (to type
        the graph's inputs) and by PyTorch models. ``pmml`` uses it to embed verification
        data that the evaluator checks when loading.
    metadata : dict, default=None
        Your own JSON-safe information (e.g. training data version, metrics).
    init_kwargs : dict, default=None
        For PyTorch modules: the keyword arguments the module's class is built with. With
        the import path of the class they are the architecture, from which ``torch`` and
        ``safetensors`` packages are rebuilt.

    Returns
    -------
    pathlib.Path
        The package folder.

    Raises
    ------
    UnsupportedFormatError
        If the format is unknown or does not apply to the model (e.g. ``safetensors`` for a
        scikit-learn model).
    ArchitectureError
        If a PyTorch module cannot be rebuilt from its class and ``init_kwargs``.
    JavaNotFoundError
        If ``format="pmml"`` and no Java runtime is installed.
    FileExistsError
        If ``path`` is a non-empty folder that is not a model package.

    Examples
    --------
    >>> from prodml_workshop.packaging import load_model, save_model
    >>> save_model(pipeline, "models/penguins", format="onnx",
    ...            sample_input=X_train.head())  # doctest: +SKIP
    PosixPath('models/penguins')
    >>> load_model("models/penguins").predict(X_test)  # doctest: +SKIP
    """
    if metadata is not None:
        try:
            json.dumps(metadata)
        except TypeError as exc:
            raise TypeError(f"metadata must hold JSON values only: {exc}") from exc
    info = describe_model(model, sample_input, init_kwargs)
    fmt = get_format(format, info.kind)
    path = Path(path)
    _prepare_folder(path)
    artifact = path / fmt.artifact
    fmt.save(model, artifact, info, sample_input)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "format": fmt.name,
        "created_at": utc_now(),
        "model_kind": info.kind,
        "model_class": info.model_class,
        "task": info.task,
        "classes": info.classes,
        "has_predict_proba": info.has_predict_proba,
        "hyperparameters": info.hyperparameters,
        "architecture": (
            {"class": info.model_class, "init_kwargs": info.hyperparameters}
            if info.kind == "torch"
            else None
        ),
        "input_schema": input_schema(sample_input),
        "library_versions": library_versions(),
        "metadata": metadata or {},
        "artifacts": {
            fmt.artifact: {"sha256": sha256_file(artifact), "size_bytes": artifact.stat().st_size}
        },
    }
    write_manifest(path, manifest)
    return path
