"""What every serialization format provides: how to save, how to load, and what it is like."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model_info import ModelInfo

__all__ = ["ModelFormat"]


@dataclass(frozen=True)
class ModelFormat:
    """A serialization format of model packages.

    Attributes
    ----------
    name : str
        The name passed as ``format=`` (e.g. ``"onnx"``).
    artifact : str
        File name of the artifact in the package folder.
    model_kinds : frozenset of str
        The model kinds it applies to, among ``"sklearn"`` and ``"torch"``.
    runs_code_on_load : bool
        Whether loading an artifact can run arbitrary code (pickle can; ONNX cannot).
    languages : tuple of str
        Languages with a library that reads the artifact.
    tolerance : float
        How far (relative) a loaded package's probabilities or values may be from the
        model's own when :func:`~prodml_workshop.packaging.save_model` checks it: the
        precision the format computes in (``1e-4`` for ONNX's float32).
    save : callable
        ``save(model, file, info, sample_input)`` writes the artifact; it raises
        :class:`~prodml_workshop.packaging.UnsupportedFormatError` with the reason when the
        format cannot store the model.
    load : callable
        ``load(file, manifest, trusted)`` returns an object with ``predict`` (and
        ``predict_proba`` for classifiers); ``trusted`` is a bool or a tuple of type names.
    """

    name: str
    artifact: str
    model_kinds: frozenset[str]
    runs_code_on_load: bool
    languages: tuple[str, ...]
    tolerance: float
    save: Callable[[Any, Path, ModelInfo, Any], None]
    load: Callable[[Path, dict[str, Any], bool | tuple[str, ...]], Any]
