"""What the package records about a model: its kind, task, classes and hyperparameters."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ArchitectureError
from .predictors import forward

__all__ = ["ModelInfo", "class_path", "describe_model", "json_safe"]


@dataclass(frozen=True)
class ModelInfo:
    """Facts about a model that the manifest records and the formats need.

    Attributes
    ----------
    kind : {"sklearn", "torch"}
        The library the model comes from.
    model_class : str
        Import path of the model's class, ``"module:QualName"``.
    task : {"classification", "regression"}
        What the model predicts.
    classes : list or None
        The class labels in the order of ``predict_proba``'s columns (classifiers only).
    has_predict_proba : bool
        Whether the model gives class probabilities.
    hyperparameters : dict
        ``get_params(deep=False)`` made JSON-safe (scikit-learn), or the constructor
        arguments (PyTorch).
    """

    kind: str
    model_class: str
    task: str
    classes: list[Any] | None
    has_predict_proba: bool
    hyperparameters: dict[str, Any]


def class_path(cls: type) -> str:
    """Return the import path ``"module:QualName"`` of a class.

    Parameters
    ----------
    cls : type
        The class.

    Returns
    -------
    str
        For example ``"sklearn.pipeline:Pipeline"``.

    Examples
    --------
    >>> from sklearn.pipeline import Pipeline
    >>> class_path(Pipeline)
    'sklearn.pipeline:Pipeline'
    """
    return f"{cls.__module__}:{cls.__qualname__}"


def json_safe(value: Any) -> Any:
    """Turn a value into plain JSON types, keeping as much meaning as possible.

    Estimators become ``{"class": ..., "params": ...}``, classes and functions their import
    path, numpy scalars Python scalars, non-finite floats the strings ``"nan"``/``"inf"``, and
    anything else its ``repr``.

    Parameters
    ----------
    value : object
        For example the result of ``estimator.get_params(deep=False)``.

    Returns
    -------
    object
        A value that :func:`json.dumps` accepts.

    Examples
    --------
    >>> import numpy as np
    >>> json_safe({"alpha": np.float64(0.5), "missing_values": np.nan, "dtype": np.float64})
    {'alpha': 0.5, 'missing_values': 'nan', 'dtype': 'numpy:float64'}
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(item) for item in value]
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return f"{value.__module__}:{value.__qualname__}"
    if hasattr(value, "get_params"):
        return {
            "class": class_path(type(value)),
            "params": json_safe(value.get_params(deep=False)),
        }
    return repr(value)


def _is_torch_module(model: Any) -> bool:
    # torch is heavy to import; a model cannot be a torch module if torch was never imported.
    if "torch" not in sys.modules:
        return False
    import torch

    return isinstance(model, torch.nn.Module)


def _describe_torch(model: Any, sample_input: Any, init_kwargs: dict | None) -> ModelInfo:
    if sample_input is None:
        raise ValueError(
            "A PyTorch model needs sample_input (a few rows of features): the package records "
            "the input schema and the number of outputs from it."
        )
    if init_kwargs is None:
        raise ArchitectureError(
            "A PyTorch model needs init_kwargs, the arguments its class is built with "
            "(e.g. init_kwargs={'n_features': 4, 'n_outputs': 3}), so that it can be rebuilt."
        )
    try:
        json.dumps(init_kwargs)
    except TypeError as exc:
        raise ArchitectureError(
            f"init_kwargs must hold JSON values (numbers, strings, lists, dicts): {exc}"
        ) from exc
    n_outputs = forward(model, sample_input).shape[1]
    classification = n_outputs > 1
    classes = list(getattr(model, "classes_", range(n_outputs))) if classification else None
    return ModelInfo(
        kind="torch",
        model_class=class_path(type(model)),
        task="classification" if classification else "regression",
        classes=json_safe(classes),
        has_predict_proba=classification,
        hyperparameters=dict(init_kwargs),
    )


def _describe_sklearn(model: Any) -> ModelInfo:
    from sklearn.base import is_classifier, is_regressor
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    if is_classifier(model):
        task = "classification"
    elif is_regressor(model):
        task = "regression"
    else:
        raise TypeError(
            f"{type(model).__name__} is neither a classifier nor a regressor; "
            "only predictive models can be packaged."
        )
    classification = task == "classification"
    return ModelInfo(
        kind="sklearn",
        model_class=class_path(type(model)),
        task=task,
        classes=json_safe(list(model.classes_)) if classification else None,
        has_predict_proba=classification and hasattr(model, "predict_proba"),
        hyperparameters=json_safe(model.get_params(deep=False)),
    )


def describe_model(
    model: Any, sample_input: Any = None, init_kwargs: dict | None = None
) -> ModelInfo:
    """Find out what kind of model this is and what it predicts.

    A scikit-learn estimator is a classifier or a regressor as scikit-learn says. A PyTorch
    module is a classifier when it outputs more than one column (one logit per class; its
    classes are its ``classes_`` attribute if it has one, else ``0 .. n-1``) and a regressor
    when it outputs one column.

    Parameters
    ----------
    model : fitted scikit-learn estimator or torch.nn.Module
        The model to describe.
    sample_input : pandas.DataFrame or numpy.ndarray, default=None
        A few rows of input; required for PyTorch models, which are run on it.
    init_kwargs : dict, default=None
        The constructor arguments of a PyTorch module; required for PyTorch models.

    Returns
    -------
    ModelInfo
        The facts the manifest records.

    Raises
    ------
    TypeError
        If the model is neither a scikit-learn predictor nor a PyTorch module.
    sklearn.exceptions.NotFittedError
        If a scikit-learn model is not fitted.
    ValueError
        If a PyTorch model comes without ``sample_input``.
    ArchitectureError
        If a PyTorch model comes without JSON-safe ``init_kwargs``.
    """
    if _is_torch_module(model):
        return _describe_torch(model, sample_input, init_kwargs)
    if hasattr(model, "get_params") and hasattr(model, "predict"):
        return _describe_sklearn(model)
    raise TypeError(
        f"Cannot package a {type(model).__name__}: pass a fitted scikit-learn estimator "
        "or a torch.nn.Module."
    )
