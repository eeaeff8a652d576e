"""The input schema of a model package, taken from a sample of the model's input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .predictors import as_model_input

__all__ = ["input_schema"]


def _column_dtype(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "string"
    raise TypeError(
        f"Column {series.name!r} has dtype {dtype}, which the schema cannot describe; "
        "convert it to a number, a string or a bool before saving."
    )


def input_schema(sample_input: Any) -> dict[str, Any] | None:
    """Describe the model's input from a sample of it.

    Parameters
    ----------
    sample_input : pandas.DataFrame, numpy.ndarray, torch.Tensor or None
        A few rows of what the model is called with; a tensor is described as the array
        it holds.

    Returns
    -------
    dict or None
        For a DataFrame ``{"type": "dataframe", "columns": [{"name": ..., "dtype": ...}, ...]}``
        with dtype one of ``"float"``, ``"int"``, ``"string"``, ``"bool"``; for an array
        ``{"type": "ndarray", "n_features": ..., "dtype": ...}``; ``None`` without a sample.

    Raises
    ------
    TypeError
        If the sample is another type, or a column has a dtype outside the four above.

    Examples
    --------
    >>> import pandas as pd
    >>> input_schema(pd.DataFrame({"island": ["Dream"], "bill_length_mm": [39.1]}))["columns"]
    [{'name': 'island', 'dtype': 'string'}, {'name': 'bill_length_mm', 'dtype': 'float'}]
    """
    sample_input = as_model_input(sample_input)
    if sample_input is None:
        return None
    if isinstance(sample_input, pd.DataFrame):
        return {
            "type": "dataframe",
            "columns": [
                {"name": str(name), "dtype": _column_dtype(sample_input[name])}
                for name in sample_input.columns
            ],
        }
    if isinstance(sample_input, np.ndarray) and sample_input.ndim == 2:
        return {
            "type": "ndarray",
            "n_features": int(sample_input.shape[1]),
            "dtype": str(sample_input.dtype),
        }
    raise TypeError(
        f"sample_input must be a pandas DataFrame, a 2-D numpy array or a 2-D torch tensor, "
        f"not {type(sample_input).__name__}."
    )
