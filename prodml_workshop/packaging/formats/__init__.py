"""The serialization formats of model packages, by name.

=========== =============== ======================= =========================
format      models          loading can run code    artifact
=========== =============== ======================= =========================
pickle      sklearn, torch  yes                     ``model.pkl``
joblib      sklearn, torch  yes                     ``model.joblib``
skops       sklearn         no (allow-listed types) ``model.skops``
onnx        sklearn, torch  no                      ``model.onnx``
pmml        sklearn         no                      ``model.pmml``
torch       torch           no (weights_only)       ``weights.pt``
safetensors torch           no                      ``weights.safetensors``
=========== =============== ======================= =========================

Whether a format applies to a given model is more than its kind: a converter may lack an
estimator, skops may meet a type it does not trust.
:func:`~prodml_workshop.packaging.format_support` answers for one model, as
:func:`~prodml_workshop.packaging.save_model` decides it.
"""

from __future__ import annotations

from ..errors import UnsupportedFormatError
from .base import ModelFormat
from .onnx_sklearn import ONNX
from .pickled import JOBLIB, PICKLE
from .pmml import PMML
from .skops_io import SKOPS
from .torch_weights import SAFETENSORS, TORCH

__all__ = ["FORMATS", "ModelFormat", "formats_for", "get_format"]

#: Every format, by name, in the order compare_formats reports them.
FORMATS: dict[str, ModelFormat] = {
    fmt.name: fmt for fmt in (PICKLE, JOBLIB, SKOPS, ONNX, PMML, TORCH, SAFETENSORS)
}

_KIND_NAMES = {"sklearn": "scikit-learn", "torch": "PyTorch"}
_TENSORS_ONLY = (
    ": it holds named tensors and nothing else, while a fitted scikit-learn model is a tree "
    "of Python objects (estimators, string categories, parameters)"
)
_WHY_NOT = {("safetensors", "sklearn"): _TENSORS_ONLY, ("torch", "sklearn"): _TENSORS_ONLY}


def get_format(name: str, model_kind: str | None = None) -> ModelFormat:
    """Return a format by name, checking that it applies to the kind of model.

    Parameters
    ----------
    name : str
        One of the keys of :data:`FORMATS`.
    model_kind : {"sklearn", "torch"}, default=None
        The kind of model to save; ``None`` skips the check (loading).

    Returns
    -------
    ModelFormat
        The format.

    Raises
    ------
    UnsupportedFormatError
        If the name is unknown or the format does not apply to the model.
    """
    if name not in FORMATS:
        raise UnsupportedFormatError(
            f"Unknown format {name!r}; choose one of {sorted(FORMATS)}. "
            "(torch_export is left out on purpose: torch.export.load can unpickle.)"
        )
    fmt = FORMATS[name]
    if model_kind is not None and model_kind not in fmt.model_kinds:
        raise UnsupportedFormatError(
            f"Format {name!r} does not apply to a {_KIND_NAMES[model_kind]} model; "
            f"it stores {' and '.join(_KIND_NAMES[k] for k in sorted(fmt.model_kinds))} "
            f"models{_WHY_NOT.get((name, model_kind), '')}."
        )
    return fmt


def formats_for(model_kind: str) -> list[str]:
    """Return the names of the formats that apply to a kind of model.

    Parameters
    ----------
    model_kind : {"sklearn", "torch"}
        The kind of model.

    Returns
    -------
    list of str
        Format names, in the order of :data:`FORMATS`.

    Examples
    --------
    >>> formats_for("torch")
    ['pickle', 'joblib', 'onnx', 'torch', 'safetensors']
    """
    return [name for name, fmt in FORMATS.items() if model_kind in fmt.model_kinds]
