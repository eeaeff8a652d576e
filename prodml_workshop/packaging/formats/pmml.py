"""``pmml``: a scikit-learn model as a PMML document (sklearn2pmml), scored with jpmml-evaluator.

PMML is XML that describes the model declaratively, so loading it runs no code from the file.
Both the converter and the evaluator are Java programs: saving runs ``java`` in a subprocess,
and loading starts a JVM inside Python through JPype (a few seconds, once per process). PMML
has its own notion of missing values, so NaN in numeric and text columns reaches the
document's imputers as "missing" and predictions match scikit-learn's.
"""

from __future__ import annotations

import contextlib
import copy
import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import JavaNotFoundError, PackagingError
from ..model_info import ModelInfo
from .base import ModelFormat

__all__ = ["PMML", "PmmlPredictor"]

_TARGET = "y"


def _require_java() -> None:
    if shutil.which("java") is None:
        raise JavaNotFoundError(
            "PMML needs a Java runtime (JRE 11 or newer) and no `java` executable is on PATH. "
            "Install one (e.g. `apt-get install default-jre-headless` or "
            "`conda install openjdk`) and restart the kernel, or choose another format "
            "such as 'onnx'."
        )


def _feature_names(model: Any, sample_input: Any) -> list[str]:
    if isinstance(sample_input, pd.DataFrame):
        return [str(name) for name in sample_input.columns]
    if hasattr(model, "feature_names_in_"):
        return [str(name) for name in model.feature_names_in_]
    raise ValueError(
        "PMML names every input field: fit the model on a DataFrame or pass sample_input "
        "as a DataFrame with the feature columns."
    )


def _save(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    from sklearn2pmml import make_pmml_pipeline, sklearn2pmml

    _require_java()
    # sklearn2pmml edits the estimator it converts (tags, step lists): work on a copy.
    pipeline = make_pmml_pipeline(
        copy.deepcopy(model),
        active_fields=_feature_names(model, sample_input),
        target_fields=[_TARGET],
    )
    if isinstance(sample_input, pd.DataFrame):
        # Embeds scikit-learn's own predictions; the evaluator checks them when loading.
        pipeline.verify(sample_input, precision=1e-9, zeroThreshold=1e-9)
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            sklearn2pmml(pipeline, str(file))
    except RuntimeError as exc:
        raise PackagingError(
            f"sklearn2pmml could not convert {info.model_class} to PMML; not every "
            f"scikit-learn estimator has a PMML converter. Its log:\n{log.getvalue()}"
        ) from exc


class PmmlPredictor:
    """Predict with a PMML document through jpmml-evaluator.

    Parameters
    ----------
    evaluator : jpmml_evaluator.Evaluator
        The loaded, verified document.
    task : {"classification", "regression"}
        What the document predicts.
    classes : list, default=None
        Class labels in the order of ``predict_proba``'s columns (classification only).
    """

    def __init__(self, evaluator: Any, task: str, classes: list[Any] | None = None) -> None:
        self.evaluator = evaluator
        self.task = task
        self.classes_ = classes
        self._fields = [field.getName() for field in evaluator.getInputFields()]

    def _evaluate(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.evaluator.evaluateAll(X[self._fields])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Return labels (classification) or values (regression), shape ``(n_samples,)``."""
        predicted = self._evaluate(X)[_TARGET]
        if self.task == "classification":
            by_text = {str(label): label for label in self.classes_}
            return np.asarray([by_text[str(label)] for label in predicted])
        return predicted.to_numpy(dtype=float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Return class probabilities, shape ``(n_samples, n_classes)``."""
        columns = [f"probability({label})" for label in self.classes_]
        return self._evaluate(X)[columns].to_numpy(dtype=float)


def _load(file: Path, manifest: dict[str, Any], trusted: bool) -> PmmlPredictor:
    from jpmml_evaluator import make_evaluator

    _require_java()
    evaluator = make_evaluator(str(file), backend="jpype").verify()
    return PmmlPredictor(evaluator, manifest["task"], manifest["classes"])


PMML = ModelFormat(
    name="pmml",
    artifact="model.pmml",
    model_kinds=frozenset({"sklearn"}),
    runs_code_on_load=False,
    languages=("Java", "Python (through a JVM)", "other PMML engines"),
    save=_save,
    load=_load,
)
