"""Write a model package: the artifact file(s) and ``manifest.json`` in one folder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .reference_profile import check_reference_sample
from .staging import Request, stage

__all__ = ["save_model"]


def save_model(
    model: Any,
    path: str | Path,
    *,
    format: str,
    sample_input: Any = None,
    metadata: dict[str, Any] | None = None,
    init_kwargs: dict[str, Any] | None = None,
    trusted: bool | Sequence[str] = False,
    reference: Any = None,
) -> Path:
    """Save a model as a model package: a folder with the artifact and ``manifest.json``.

    The package is first written to a staging folder, loaded back as a server would load it
    (``trusted`` as given; pickle and joblib trusted, since nothing else opens them) and
    asked to predict on ``sample_input``: labels must equal the model's, values and
    probabilities agree within the format's precision (``FORMATS[format].tolerance``). Only
    then is it moved to ``path``. A format that cannot store the model is refused before
    anything is written there, naming why and the formats that do work;
    :func:`format_support` gives that answer for every format up front.

    The manifest records the format, the creation time (UTC), the library versions, the input
    schema, the task, the classes, the hyperparameters, the PyTorch architecture, your
    metadata and the SHA-256 of every artifact; see :func:`read_manifest`.

    With ``reference``, the checked package scores that sample and stores it with its
    predictions and the profile of its features, as three more artifacts (see
    :func:`save_reference`): the technical-drift check re-scores it, the service checks every
    record against the profile. Without it, the reference of a package replaced at ``path`` is
    kept, and :func:`read_reference` asks for a new one, since the old model scored it.

    Parameters
    ----------
    model : fitted scikit-learn estimator or torch.nn.Module
        The model. A PyTorch module is a classifier when it outputs one logit per class
        (its classes are its ``classes_`` attribute if set, else ``0 .. n-1``) and a regressor
        when it outputs one value.
    path : str or pathlib.Path
        The package folder. It is created if needed; an existing package there is replaced
        (only once the new one has passed its check), any other non-empty folder is refused.
    format : {"pickle", "joblib", "skops", "onnx", "pmml", "torch", "safetensors"}
        The serialization format. ``skops`` and ``pmml`` are for scikit-learn models,
        ``torch`` and ``safetensors`` for PyTorch modules, ``onnx``, ``pickle`` and
        ``joblib`` for both (but pickle and joblib can run code when loaded).
    sample_input : pandas.DataFrame, numpy.ndarray or torch.Tensor, default=None
        A few rows of input. Gives the manifest its input schema and the check its data;
        needed by ``onnx`` (to type the graph's inputs) and by PyTorch models. ``pmml`` also
        embeds it as verification data that the evaluator checks when loading. Without it
        the package is only checked to load.
    metadata : dict, default=None
        Your own JSON-safe information (e.g. training data version, metrics).
    init_kwargs : dict, default=None
        For PyTorch modules: the keyword arguments the module's class is built with. With
        the import path of the class they are the architecture, from which ``torch`` and
        ``safetensors`` packages are rebuilt.
    trusted : bool or list of str, default=False
        The trust the package will be loaded with, as for :func:`load_model`. By default a
        skops file must load without extra trust (skops' defaults and
        :data:`SKOPS_SAFE_TYPES`); name other types here only if every loader of the
        package (a server too) will pass the same list.
    reference : pandas.DataFrame, default=None
        A sample of the training rows (all of them, or a large sample), the model's features
        and maybe other columns such as a day, kept in the sample and left out of the profile.

    Returns
    -------
    pathlib.Path
        The package folder.

    Raises
    ------
    UnsupportedFormatError
        If the format is unknown or cannot store this model (its subclasses
        :class:`ArchitectureError` and :class:`JavaNotFoundError` for a PyTorch module that
        cannot be rebuilt and for PMML without Java). Nothing is written.
    ArchitectureError
        If a PyTorch module comes without ``init_kwargs``.
    InvalidReferenceError
        If ``reference`` is not a non-empty DataFrame. Nothing is written.
    FileExistsError
        If ``path`` is a non-empty folder that is not a model package.

    Examples
    --------
    >>> from prodml_workshop.packaging import load_model, save_model
    >>> save_model(pipeline, "models/penguins", format="onnx",
    ...            sample_input=X_train.head(), reference=X_train)  # doctest: +SKIP
    PosixPath('models/penguins')
    >>> load_model("models/penguins").predict(X_test)  # doctest: +SKIP
    """
    if metadata is not None:
        try:
            json.dumps(metadata)
        except TypeError as exc:
            raise TypeError(f"metadata must hold JSON values only: {exc}") from exc
    if reference is not None:
        check_reference_sample(reference)
    request = Request.of(model, sample_input, init_kwargs, trusted)
    return stage(request, Path(path), format, metadata or {}, reuse=True, reference=reference)
