"""``onnx``: a model as an ONNX graph, run with onnxruntime.

scikit-learn models are converted by skl2onnx; PyTorch modules are exported by
``torch.onnx.export`` (see :mod:`.onnx_torch`). Graphs compute in float32, so probabilities
agree with scikit-learn to about 1e-6.

Inputs. A model fitted on an array, or on a DataFrame of numbers only, gets one float input
``X``: the columns of the input schema, in its order (most scikit-learn converters accept one
input only). A DataFrame with text columns, or a pipeline with a ``ColumnTransformer`` (which
picks columns by name), gets one input per column instead: numeric and bool columns become
``float`` tensors, text columns ``string`` tensors. skl2onnx renames columns whose names are
not valid in a graph (spaces, for instance), so the loaded model feeds them by position.

Missing text values. An ONNX string tensor cannot hold NaN, and skl2onnx converts a
``SimpleImputer`` on text columns only when its ``missing_values`` is a string (its converter
raises ``NotImplementedError`` for NaN). The imputer is therefore kept in the graph, honestly:
the conversion works on a copy of the pipeline whose text imputers have
``missing_values=MISSING_STRING`` (the empty string) and the same fitted ``statistics_``, and
at predict time the wrapper writes ``MISSING_STRING`` wherever a text column is missing
(NaN or None). The graph then replaces it with the value the training imputer learned, exactly
what scikit-learn does with NaN. The cost: a real empty string in a text column is treated as
missing, where scikit-learn would have treated it as an unknown category. Text columns with
missing values must be imputed inside the pipeline for ONNX to reproduce it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UnsafeContentError, UnsupportedFormatError
from ..model_info import ModelInfo
from ..predictors import to_float_array
from .base import ModelFormat
from .onnx_torch import OnnxModulePredictor, export_module
from .skl2onnx_fixes import missing_flags_as_integers

__all__ = [
    "MISSING_STRING",
    "ONNX",
    "OnnxPredictor",
    "is_text_dtype",
    "with_string_imputers_on_sentinel",
]

#: What a missing text value is turned into, in the converted imputers and at predict time.
MISSING_STRING = ""


def _sub_estimators(estimator: Any) -> Iterator[Any]:
    yield estimator
    if hasattr(estimator, "steps"):
        children = [step for _, step in estimator.steps]
    elif hasattr(estimator, "transformers_"):
        children = [transformer for _, transformer, _ in estimator.transformers_]
    elif hasattr(estimator, "transformer_list"):
        children = [transformer for _, transformer in estimator.transformer_list]
    else:
        children = []
    for child in children:
        if not isinstance(child, str):
            yield from _sub_estimators(child)


def _is_missing_marker(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def with_string_imputers_on_sentinel(model: Any) -> Any:
    """Return a copy of a model whose text imputers take :data:`MISSING_STRING` as missing.

    What the graph is converted from (see the module's "Missing text values"): skl2onnx
    converts a ``SimpleImputer`` on text only when its ``missing_values`` is a string.

    Parameters
    ----------
    model : fitted scikit-learn estimator or pipeline
        The model; it is not changed.

    Returns
    -------
    object
        A deep copy in which every fitted ``SimpleImputer`` with text statistics and a missing
        marker of NaN or None has ``missing_values=MISSING_STRING``.

    Examples
    --------
    >>> from sklearn.impute import SimpleImputer
    >>> imputer = SimpleImputer(strategy="most_frequent").fit([["a"], ["a"], [None]])
    >>> with_string_imputers_on_sentinel(imputer).missing_values, imputer.missing_values
    ('', nan)
    """
    from sklearn.impute import SimpleImputer

    model = copy.deepcopy(model)
    for estimator in _sub_estimators(model):
        if (
            isinstance(estimator, SimpleImputer)
            and estimator.statistics_.dtype == object
            and _is_missing_marker(estimator.missing_values)
        ):
            estimator.missing_values = MISSING_STRING
    return model


def _needs_columns(model: Any, sample_input: pd.DataFrame) -> bool:
    """Whether the graph needs one input per column: text columns, or a ColumnTransformer."""
    from sklearn.compose import ColumnTransformer

    has_text = any(is_text_dtype(column.dtype) for _, column in sample_input.items())
    return has_text or any(isinstance(step, ColumnTransformer) for step in _sub_estimators(model))


def is_text_dtype(dtype: Any) -> bool:
    """Say whether a column of this dtype becomes a string input of the graph.

    Parameters
    ----------
    dtype : numpy or pandas dtype
        A column's dtype.

    Returns
    -------
    bool
        True for strings, objects holding strings and categories; False for numbers and bools.

    Examples
    --------
    >>> is_text_dtype(pd.Series(["a"]).dtype), is_text_dtype(pd.Series([1.0]).dtype)
    (True, False)
    """
    return pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)


def _initial_types(model: Any, sample_input: Any) -> list[tuple[str, Any]]:
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    if sample_input is None:
        raise UnsupportedFormatError(
            "ONNX needs sample_input (a few rows of the training features) to type the "
            "graph's inputs; pass sample_input=X_train.head()."
        )
    if isinstance(sample_input, np.ndarray) or not _needs_columns(model, sample_input):
        # One float matrix, columns in the order of the input schema.
        return [("X", FloatTensorType([None, sample_input.shape[1]]))]
    return [
        (
            str(name),
            StringTensorType([None, 1])
            if is_text_dtype(column.dtype)
            else FloatTensorType([None, 1]),
        )
        for name, column in sample_input.items()
    ]


def _first_line(exc: BaseException) -> str:
    """The innermost error, in one line: skl2onnx wraps the cause in long messages."""
    while (exc.__cause__ or exc.__context__) is not None:
        exc = exc.__cause__ or exc.__context__
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300] if lines else ''}"


def _save(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    if info.kind == "torch":
        export_module(model, file, sample_input)
        return
    from skl2onnx import convert_sklearn

    initial_types = _initial_types(model, sample_input)
    graph_model = with_string_imputers_on_sentinel(model)
    options = {id(graph_model): {"zipmap": False}} if info.task == "classification" else None
    try:
        with missing_flags_as_integers():  # HistGradientBoosting, see skl2onnx_fixes
            onnx_model = convert_sklearn(graph_model, initial_types=initial_types, options=options)
    except Exception as exc:  # skl2onnx raises many types; each means "cannot convert"
        raise UnsupportedFormatError(
            f"skl2onnx cannot convert this {info.model_class.split(':')[-1]} to ONNX: "
            f"{_first_line(exc)}"
        ) from exc
    file.write_bytes(onnx_model.SerializeToString())


class OnnxPredictor:
    """Predict with an ONNX graph converted from scikit-learn.

    The graph takes either one float matrix (arrays, and DataFrames of numbers fed in the
    order of the input schema) or one input per column (DataFrames with text columns or a
    ``ColumnTransformer``). Per-column inputs are matched to the schema's columns by
    position, since skl2onnx renames columns that are not valid graph names (e.g. with
    spaces).

    Parameters
    ----------
    session : onnxruntime.InferenceSession
        The loaded graph.
    task : {"classification", "regression"}
        What the graph predicts.
    columns : list of str, default=None
        The input schema's column names, for a model saved with a DataFrame sample.
    """

    def __init__(self, session: Any, task: str, columns: list[str] | None = None) -> None:
        self.session = session
        self.task = task
        self.columns = columns
        inputs = session.get_inputs()
        self.per_column = bool(columns) and not (
            len(inputs) == 1 and inputs[0].type == "tensor(float)"
        )
        if self.per_column and len(inputs) != len(columns):
            raise UnsafeContentError(
                f"The ONNX graph has {len(inputs)} inputs for {len(columns)} columns in the "
                "manifest; the package was changed after it was saved. Save the model again."
            )

    def _feeds(self, X: Any) -> dict[str, np.ndarray]:
        inputs = self.session.get_inputs()
        if not self.per_column:
            return {inputs[0].name: to_float_array(X)}
        feeds = {}
        # LoadedModel hands over the schema's columns in order: feed them by position.
        for position, graph_input in enumerate(inputs):
            column = X.iloc[:, position]
            if graph_input.type == "tensor(string)":
                values = column.astype(object).where(column.notna(), MISSING_STRING).astype(str)
            else:
                values = column.astype(np.float32)
            feeds[graph_input.name] = values.to_numpy().reshape(-1, 1)
        return feeds

    def _run(self, position: int, X: Any) -> np.ndarray:
        # skl2onnx's outputs: (label, probabilities) for classifiers, (variable,) for
        # regressors; names vary with the pipeline (e.g. "variable1"), positions do not.
        output = self.session.get_outputs()[position].name
        return self.session.run([output], self._feeds(X))[0]

    def predict(self, X: Any) -> np.ndarray:
        """Return labels (classification) or values (regression), shape ``(n_samples,)``."""
        return self._run(0, X).ravel()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities, shape ``(n_samples, n_classes)``."""
        return self._run(1, X)


def _load(file: Path, manifest: dict[str, Any], trusted: bool | tuple[str, ...]) -> Any:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    if manifest["model_kind"] == "torch":
        return OnnxModulePredictor(session, manifest["task"], manifest["classes"])
    schema = manifest["input_schema"]
    columns = (
        [column["name"] for column in schema["columns"]]
        if schema and schema["type"] == "dataframe"
        else None
    )
    return OnnxPredictor(session, manifest["task"], columns)


ONNX = ModelFormat(
    name="onnx",
    artifact="model.onnx",
    model_kinds=frozenset({"sklearn", "torch"}),
    runs_code_on_load=False,
    languages=("Python", "C", "C++", "C#", "Java", "JavaScript"),
    # Graphs compute in float32; scikit-learn and PyTorch agree to about 1e-6.
    tolerance=1e-4,
    save=_save,
    load=_load,
)
