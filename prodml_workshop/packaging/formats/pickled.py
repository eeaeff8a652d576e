"""``pickle`` and ``joblib``: the whole Python object, fast and faithful, and able to run code.

Unpickling calls whatever callables the file names, so a pickle from someone else can run any
code on your machine. :func:`~prodml_workshop.packaging.load_model` refuses both formats
unless ``trusted=True``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from ..errors import UnsupportedFormatError
from ..model_info import ModelInfo
from ..predictors import TorchPredictor
from .base import ModelFormat

__all__ = ["JOBLIB", "PICKLE"]


def _as_predictor(model: Any, manifest: dict[str, Any]) -> Any:
    if manifest["model_kind"] == "torch":
        return TorchPredictor(model.eval(), manifest["task"], manifest["classes"])
    return model


def _unpicklable(name: str, exc: Exception) -> UnsupportedFormatError:
    return UnsupportedFormatError(
        f"{name} cannot store this model: {type(exc).__name__}: {exc}. Objects such as "
        "lambdas and functions defined inside other functions cannot be pickled; define "
        "them at the top level of an installed module."
    )


def _save_pickle(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    try:
        with file.open("wb") as stream:
            pickle.dump(model, stream, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise _unpicklable("pickle", exc) from exc


def _load_pickle(file: Path, manifest: dict[str, Any], trusted: bool) -> Any:
    with file.open("rb") as stream:
        return _as_predictor(pickle.load(stream), manifest)


def _save_joblib(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    import joblib

    try:
        joblib.dump(model, file)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise _unpicklable("joblib", exc) from exc


def _load_joblib(file: Path, manifest: dict[str, Any], trusted: bool) -> Any:
    import joblib

    return _as_predictor(joblib.load(file), manifest)


PICKLE = ModelFormat(
    name="pickle",
    artifact="model.pkl",
    model_kinds=frozenset({"sklearn", "torch"}),
    runs_code_on_load=True,
    languages=("Python",),
    tolerance=1e-9,
    save=_save_pickle,
    load=_load_pickle,
)

JOBLIB = ModelFormat(
    name="joblib",
    artifact="model.joblib",
    model_kinds=frozenset({"sklearn", "torch"}),
    runs_code_on_load=True,
    languages=("Python",),
    tolerance=1e-9,
    save=_save_joblib,
    load=_load_joblib,
)
