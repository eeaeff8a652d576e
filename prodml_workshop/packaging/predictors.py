"""Adapters that give a loaded model the ``predict``/``predict_proba`` interface of scikit-learn."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LogitsPredictor", "TorchPredictor", "as_model_input", "forward", "to_float_array"]


def as_model_input(X: Any) -> Any:
    """Return a torch tensor as a numpy array; anything else unchanged.

    Every function of the package that takes features (``sample_input``, ``predict``,
    ``compare_formats``) accepts a tensor wherever it accepts an array, through this.

    Parameters
    ----------
    X : torch.Tensor, pandas.DataFrame, numpy.ndarray or None
        Features.

    Returns
    -------
    object
        ``X.detach().cpu().numpy()`` for a tensor, else ``X``.

    Examples
    --------
    >>> import torch
    >>> as_model_input(torch.ones(2, 3)).dtype
    dtype('float32')
    """
    # torch is heavy to import; X cannot be a tensor if torch was never imported.
    if "torch" in sys.modules:
        import torch

        if isinstance(X, torch.Tensor):
            return X.detach().cpu().numpy()
    return X


def to_float_array(X: Any) -> np.ndarray:
    """Return the features as a float32 2-D array, the input of a PyTorch model.

    Parameters
    ----------
    X : pandas.DataFrame, torch.Tensor or array-like of shape (n_samples, n_features)
        Numeric features.

    Returns
    -------
    numpy.ndarray of shape (n_samples, n_features), dtype float32
    """
    X = as_model_input(X)
    if isinstance(X, pd.DataFrame):
        X = X.to_numpy()
    return np.asarray(X, dtype=np.float32)


def forward(module: Any, X: Any) -> Any:
    """Run a PyTorch module on features in eval mode, without gradients.

    The module's training mode is restored afterwards, so that saving or comparing a model
    in the middle of training does not change how it trains.

    Parameters
    ----------
    module : torch.nn.Module
        The module.
    X : pandas.DataFrame, torch.Tensor or array-like of shape (n_samples, n_features)
        Numeric features.

    Returns
    -------
    torch.Tensor
        The module's output.
    """
    import torch

    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            return module(torch.from_numpy(to_float_array(X)))
    finally:
        module.train(was_training)


class LogitsPredictor:
    """Predict as a scikit-learn estimator from a network's output: logits or one value.

    A subclass says how to compute the output (:meth:`logits`); labels, values and
    probabilities follow from it the same way whatever runs the network.

    Parameters
    ----------
    task : {"classification", "regression"}
        What the network predicts: one logit per class, or one value.
    classes : list, default=None
        Class labels in the order of the logits (classification only).
    """

    def __init__(self, task: str, classes: list[Any] | None = None) -> None:
        self.task = task
        self.classes_ = np.asarray(classes) if classes is not None else None

    def logits(self, X: Any) -> np.ndarray:
        """Return the network's output, shape ``(n_samples, n_outputs)``."""
        raise NotImplementedError

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return the softmax of the logits, shape ``(n_samples, n_classes)``."""
        logits = self.logits(X)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Return class labels (classification) or values (regression), shape ``(n_samples,)``."""
        output = self.logits(X)
        if self.task == "classification":
            return self.classes_[output.argmax(axis=1)]
        return output[:, 0]


class TorchPredictor(LogitsPredictor):
    """Predict with a PyTorch module as with a scikit-learn estimator.

    Parameters
    ----------
    module : torch.nn.Module
        A module mapping a float32 batch ``(n_samples, n_features)`` to logits
        ``(n_samples, n_classes)`` (classification) or to ``(n_samples, 1)`` (regression).
    task : {"classification", "regression"}
        What the module predicts.
    classes : list, default=None
        Class labels in the order of the logits (classification only).
    """

    def __init__(self, module: Any, task: str, classes: list[Any] | None = None) -> None:
        super().__init__(task, classes)
        self.module = module

    def logits(self, X: Any) -> np.ndarray:
        """Return the module's output, shape ``(n_samples, n_outputs)``."""
        return forward(self.module, X).numpy()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return the softmax of the logits, as PyTorch computes it."""
        import torch

        return torch.softmax(forward(self.module, X), dim=1).numpy()
