"""``pmml``: a scikit-learn model as a PMML document (sklearn2pmml), scored with jpmml-evaluator.

PMML is XML that describes the model declaratively, so loading it runs no code from the file.
Both the converter and the evaluator are Java programs, run with the Java of the course's lock
(:mod:`~prodml_workshop.packaging.java_runtime`), never the machine's: saving runs its ``java``
in a subprocess, and loading starts its JVM inside Python through JPype (a few seconds, once
per process). PMML has its own notion of missing values, so NaN in numeric and text columns
reaches the document's imputers as "missing" and predictions match scikit-learn's. A model
fitted on an array gets the field names ``x1`` .. ``xn``, and the loaded model takes arrays
too.
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidPackageError, UnsupportedFormatError
from ..java_runtime import JVM_OPTIONS, java_home, start_jvm
from ..model_info import ModelInfo
from .base import ModelFormat

__all__ = ["PMML", "PmmlPredictor"]

_TARGET = "y"
# The converter is a short-lived JVM: compiling with the quick JIT only and the serial
# collector starts it about 40% faster (~1.2 s instead of ~2 s per model on 2 cores); the
# document written is the same.
_CONVERTER_JAVA_OPTIONS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", *JVM_OPTIONS]


def array_field_names(n_features: int) -> list[str]:
    """Return the PMML field names of a model fitted on an array: ``x1`` .. ``xn``.

    Parameters
    ----------
    n_features : int
        The number of columns.

    Returns
    -------
    list of str

    Examples
    --------
    >>> array_field_names(3)
    ['x1', 'x2', 'x3']
    """
    return [f"x{i}" for i in range(1, n_features + 1)]


def _feature_names(model: Any, sample_input: Any) -> list[str]:
    if isinstance(sample_input, pd.DataFrame):
        return [str(name) for name in sample_input.columns]
    if hasattr(model, "feature_names_in_"):
        return [str(name) for name in model.feature_names_in_]
    if hasattr(model, "n_features_in_"):
        return array_field_names(model.n_features_in_)
    raise UnsupportedFormatError(
        "PMML names every input field, and this model records neither its feature names nor "
        "their number: pass sample_input (a DataFrame or an array of the features)."
    )


def _as_frame(X: Any, names: list[str]) -> pd.DataFrame:
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X), columns=names)


def _log_excerpt(log: str) -> str:
    """The lines of sklearn2pmml's Java log that say what went wrong."""
    lines = [line.strip() for line in log.splitlines() if "Exception" in line]
    return lines[0][:300] if lines else log.strip()[-300:]


def _save(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    from sklearn2pmml import make_pmml_pipeline, sklearn2pmml

    java = str(java_home())
    names = _feature_names(model, sample_input)
    # sklearn2pmml edits the estimator it converts (tags, step lists): work on a copy.
    pipeline = make_pmml_pipeline(
        copy.deepcopy(model), active_fields=names, target_fields=[_TARGET]
    )
    if sample_input is not None:
        # Embeds scikit-learn's own predictions; the evaluator checks them when loading.
        with warnings.catch_warnings():
            # A model fitted on an array warns that the sample frame has column names.
            warnings.simplefilter("ignore", UserWarning)
            pipeline.verify(_as_frame(sample_input, names), precision=1e-9, zeroThreshold=1e-9)
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            sklearn2pmml(pipeline, str(file), java_home=java, java_opts=_CONVERTER_JAVA_OPTIONS)
    except RuntimeError as exc:
        raise UnsupportedFormatError(
            f"sklearn2pmml cannot convert this {info.model_class.split(':')[-1]} to PMML "
            f"(not every scikit-learn estimator has a PMML converter): "
            f"{_log_excerpt(log.getvalue())}"
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

    def _evaluate(self, X: Any) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            # A model fitted on an array: column i is the field x{i+1}.
            X = _as_frame(X, array_field_names(np.shape(X)[1]))
        return self.evaluator.evaluateAll(X[self._fields])

    def predict(self, X: Any) -> np.ndarray:
        """Return labels (classification) or values (regression), shape ``(n_samples,)``."""
        predicted = self._evaluate(X)[_TARGET]
        if self.task == "classification":
            by_text = {str(label): label for label in self.classes_}
            return np.asarray([by_text[str(label)] for label in predicted])
        return predicted.to_numpy(dtype=float)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities, shape ``(n_samples, n_classes)``."""
        columns = [f"probability({label})" for label in self.classes_]
        results = self._evaluate(X)
        if not set(columns) <= set(results.columns):
            raise InvalidPackageError(
                "The PMML document gives no class probabilities: sklearn2pmml writes none "
                "for this estimator (it scores labels only)."
            )
        return results[columns].to_numpy(dtype=float)


def _load(file: Path, manifest: dict[str, Any], trusted: bool) -> PmmlPredictor:
    from jpmml_evaluator import _classpath, make_evaluator

    # jpmml-evaluator would start JPype's default JVM (JAVA_HOME's, or the machine's): start
    # ours first, on the class path jpmml-evaluator's JPype backend gives its own JVM.
    start_jvm(_classpath(user_classpath=[]))
    evaluator = make_evaluator(str(file), backend="jpype")
    try:
        evaluator.verify()
    except Exception as exc:  # a Java exception, raised through JPype
        raise InvalidPackageError(
            f"The PMML evaluator does not reproduce the predictions that scikit-learn "
            f"embedded in {file.name} (its verification rows): {exc}"
        ) from exc
    return PmmlPredictor(evaluator, manifest["task"], manifest["classes"])


PMML = ModelFormat(
    name="pmml",
    artifact="model.pmml",
    model_kinds=frozenset({"sklearn"}),
    runs_code_on_load=False,
    languages=("Java", "Python (through a JVM)", "other PMML engines"),
    # The evaluator computes in float64, with Java's own exp and log.
    tolerance=1e-6,
    save=_save,
    load=_load,
)
