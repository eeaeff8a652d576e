"""Which formats can store a given model: the answer ``save_model`` would give, up front."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .formats import FORMATS
from .staging import Request, trial_outcome

__all__ = ["format_support"]


def format_support(
    model: Any,
    sample_input: Any = None,
    init_kwargs: dict[str, Any] | None = None,
    *,
    trusted: bool | Sequence[str] = False,
    formats: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Report, for every format, whether it can store this model and why not.

    Each format that applies to the kind of model is tried as :func:`save_model` tries it:
    saved to a temporary folder, loaded back as a server would and compared with the model on
    ``sample_input``. The answer for a format is therefore exactly whether ``save_model``
    would save or refuse. Outcomes are remembered for this model's content, so a following
    ``save_model`` reuses the checked artifact instead of converting again. PMML starts Java
    once per model (about 2 s); the other formats take milliseconds for small models.

    Parameters
    ----------
    model : fitted scikit-learn estimator or torch.nn.Module
        The model.
    sample_input : pandas.DataFrame, numpy.ndarray or torch.Tensor, default=None
        A few rows of input, as for :func:`save_model`.
    init_kwargs : dict, default=None
        For PyTorch modules, as for :func:`save_model`.
    trusted : bool or list of str, default=False
        The trust the package will be loaded with, as for :func:`save_model`.
    formats : list of str, default=None
        The formats to try, in this order; every format by default. An unknown name gets a
        row saying so.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``format`` (every format in the order of :data:`FORMATS`, or ``formats``),
        with columns ``works`` (bool) and ``reason`` (why not; empty when it works).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> model = LinearRegression().fit(X, X.sum(axis=1))
    >>> table = format_support(model, X, formats=["skops", "onnx", "torch"])
    >>> table["works"].to_dict()
    {'skops': True, 'onnx': True, 'torch': False}
    >>> print(table.loc["torch", "reason"])  # doctest: +ELLIPSIS
    Format 'torch' does not apply to a scikit-learn model; it stores PyTorch models: ...
    """
    request = Request.of(model, sample_input, init_kwargs, trusted)
    rows = []
    for name in FORMATS if formats is None else formats:
        error = trial_outcome(request, name)
        rows.append({"format": name, "works": error is None, "reason": str(error or "")})
    return pd.DataFrame(rows, columns=["format", "works", "reason"]).set_index("format")
