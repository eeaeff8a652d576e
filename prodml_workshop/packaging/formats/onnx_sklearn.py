"""``onnx``: a scikit-learn model as an ONNX graph (skl2onnx), run with onnxruntime.

The graph takes one input per DataFrame column, so the loaded model takes a DataFrame:
numeric and bool columns become ``float`` tensors (float32, so probabilities agree with
scikit-learn to about 1e-6), text columns ``string`` tensors. A model fitted on a plain array
takes one float input ``X`` instead.

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

from ..model_info import ModelInfo
from ..predictors import to_float_array
from .base import ModelFormat

__all__ = ["MISSING_STRING", "ONNX", "OnnxPredictor"]

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


def _with_string_imputers_on_sentinel(model: Any) -> Any:
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


def _initial_types(sample_input: Any) -> list[tuple[str, Any]]:
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    if sample_input is None:
        raise ValueError(
            "ONNX needs sample_input (a few rows of the training features) to type the "
            "graph's inputs; pass sample_input=X_train.head()."
        )
    if isinstance(sample_input, np.ndarray):
        return [("X", FloatTensorType([None, sample_input.shape[1]]))]
    return [
        (
            str(name),
            StringTensorType([None, 1])
            if pd.api.types.is_string_dtype(column.dtype)
            or isinstance(column.dtype, pd.CategoricalDtype)
            else FloatTensorType([None, 1]),
        )
        for name, column in sample_input.items()
    ]


def _save(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    from skl2onnx import convert_sklearn

    graph_model = _with_string_imputers_on_sentinel(model)
    options = {id(graph_model): {"zipmap": False}} if info.task == "classification" else None
    onnx_model = convert_sklearn(
        graph_model, initial_types=_initial_types(sample_input), options=options
    )
    file.write_bytes(onnx_model.SerializeToString())


class OnnxPredictor:
    """Predict with an ONNX graph converted from scikit-learn.

    Parameters
    ----------
    session : onnxruntime.InferenceSession
        The loaded graph.
    task : {"classification", "regression"}
        What the graph predicts.
    per_column : bool
        Whether the graph has one input per DataFrame column (else one array input).
    """

    def __init__(self, session: Any, task: str, per_column: bool) -> None:
        self.session = session
        self.task = task
        self.per_column = per_column

    def _feeds(self, X: Any) -> dict[str, np.ndarray]:
        inputs = self.session.get_inputs()
        if not self.per_column:
            return {inputs[0].name: to_float_array(X)}
        feeds = {}
        for graph_input in inputs:
            column = X[graph_input.name]
            if graph_input.type == "tensor(string)":
                values = column.astype(object).where(column.notna(), MISSING_STRING).astype(str)
            else:
                values = column.astype(np.float32)
            feeds[graph_input.name] = values.to_numpy().reshape(-1, 1)
        return feeds

    def predict(self, X: Any) -> np.ndarray:
        """Return labels (classification) or values (regression), shape ``(n_samples,)``."""
        output = "label" if self.task == "classification" else "variable"
        return self.session.run([output], self._feeds(X))[0].ravel()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities, shape ``(n_samples, n_classes)``."""
        return self.session.run(["probabilities"], self._feeds(X))[0]


def _load(file: Path, manifest: dict[str, Any], trusted: bool) -> OnnxPredictor:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(file), providers=["CPUExecutionProvider"])
    per_column = manifest["input_schema"]["type"] == "dataframe"
    return OnnxPredictor(session, manifest["task"], per_column)


ONNX = ModelFormat(
    name="onnx",
    artifact="model.onnx",
    model_kinds=frozenset({"sklearn"}),
    runs_code_on_load=False,
    languages=("Python", "C", "C++", "C#", "Java", "JavaScript"),
    save=_save,
    load=_load,
)
