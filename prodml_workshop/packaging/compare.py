"""Save one model in several formats and compare size, speed, fidelity and safety.

A lecture comparison kept beside the formats it drives (it uses packaging's internals); the
answer to reuse on your own model is :func:`~prodml_workshop.packaging.format_support`.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .errors import UnsupportedFormatError
from .formats import FORMATS, formats_for
from .load import load_model
from .model_info import ModelInfo
from .predictors import TorchPredictor, as_model_input
from .staging import Request, stage

__all__ = ["compare_formats"]

_COLUMNS = [
    "format",
    "size_bytes",
    "save_s",
    "load_s",
    "predict_s",
    "max_abs_diff",
    "runs_code_on_load",
    "languages",
]


def _reference_output(model: Any, X: Any, info: ModelInfo) -> np.ndarray:
    if info.kind == "torch":
        model = TorchPredictor(model, info.task, info.classes)
    return model.predict_proba(X) if info.has_predict_proba else model.predict(X)


def _max_abs_difference(expected: np.ndarray, actual: np.ndarray) -> float:
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.dtype.kind in "fiub" and actual.dtype.kind in "fiub":
        return float(np.max(np.abs(expected.astype(float) - actual.astype(float)), initial=0.0))
    # Labels: 0 when every prediction agrees, else 1 (the largest 0/1 difference).
    return float(np.any(expected != actual))


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def compare_formats(
    model: Any,
    X: Any,
    formats: list[str] | None = None,
    *,
    sample_input: Any = None,
    init_kwargs: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Save a model in each format and measure what each one costs and keeps.

    Every format is saved to a temporary folder with :func:`save_model` (which checks the
    package on ``sample_input``), loaded back (trusted: the files are yours) and asked to
    predict ``X``; the output is compared with the original model's. Times are single
    wall-clock measurements; ``save_s`` includes the save's own check, and every time
    includes importing a format's library (and, for PMML, starting the JVM) the first time
    it is used in the process.

    Parameters
    ----------
    model : fitted scikit-learn estimator or torch.nn.Module
        The model.
    X : pandas.DataFrame, numpy.ndarray or torch.Tensor
        The data to predict on.
    formats : list of str, default=None
        Formats to compare; all of them by default. Formats that do not apply to the kind of
        model (e.g. ``pmml`` for a PyTorch module) are skipped; formats that
        :func:`save_model` refuses for this model (e.g. ``pmml`` without Java) are skipped
        with a warning giving the reason.
    sample_input : pandas.DataFrame, numpy.ndarray or torch.Tensor, default=None
        Passed to :func:`save_model`; defaults to the first five rows of ``X``.
    init_kwargs : dict, default=None
        For PyTorch modules, passed to :func:`save_model`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``format``, with columns ``size_bytes``, ``save_s``, ``load_s``,
        ``predict_s`` (seconds), ``max_abs_diff`` (largest absolute difference from the
        original ``predict_proba``, or ``predict`` for models without it; for text labels,
        1 if any label differs else 0), ``runs_code_on_load`` (bool) and ``languages``.

    Examples
    --------
    >>> from prodml_workshop.packaging import compare_formats
    >>> compare_formats(pipeline, X_test)  # doctest: +SKIP
    """
    X = as_model_input(X)
    if sample_input is None:
        sample_input = X[:5]
    request = Request.of(model, sample_input, init_kwargs, False)
    info = request.info
    applicable = formats_for(info.kind)
    names = [name for name in (formats or list(FORMATS)) if name in applicable]
    expected = _reference_output(model, X, info)
    rows = []
    with tempfile.TemporaryDirectory(prefix="compare_formats_") as tmp:
        for name in tqdm(names, desc="formats"):
            package = Path(tmp) / name
            try:
                # reuse=False: the conversion is what save_s measures.
                _, save_s = _timed(stage, request, package, name, {}, reuse=False)
            except UnsupportedFormatError as exc:
                warnings.warn(f"Skipping {name}: {exc}", stacklevel=2)
                continue
            loaded, load_s = _timed(load_model, package, trusted=True)
            method = loaded.predict_proba if info.has_predict_proba else loaded.predict
            actual, predict_s = _timed(method, X)
            fmt = FORMATS[name]
            rows.append(
                {
                    "format": name,
                    "size_bytes": sum(
                        record["size_bytes"] for record in loaded.manifest["artifacts"].values()
                    ),
                    "save_s": save_s,
                    "load_s": load_s,
                    "predict_s": predict_s,
                    "max_abs_diff": _max_abs_difference(expected, actual),
                    "runs_code_on_load": fmt.runs_code_on_load,
                    "languages": ", ".join(fmt.languages),
                }
            )
    return pd.DataFrame(rows, columns=_COLUMNS).set_index("format")
