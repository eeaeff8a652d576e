"""``torch`` and ``safetensors``: a PyTorch module's weights, rebuilt on installed code.

A module is weights plus architecture. These formats store only the weights (a state_dict
saved with ``torch.save``, or a safetensors file); the manifest records the architecture as
the import path of the module's class and its constructor arguments. Loading imports that
class from installed code, builds it with those arguments and fills in the weights: nothing
is unpickled. ``torch.load`` runs with ``weights_only=True``, whose unpickler only accepts
tensors and plain containers; safetensors is a JSON header plus raw bytes.

``torch.export`` is deliberately not offered. In torch 2.13 ``torch.export.load`` reads the
weights and constants of a ``.pt2`` archive with ``torch.load(..., weights_only=False)`` and
``pickle.loads`` whenever the archive's own config marks them as pickled
(``torch/export/pt2_archive/_package.py``: ``_load_state_dict`` and ``_load_constants``), and
its documentation warns that it "uses pickle under the hood". A crafted ``.pt2`` file can
therefore run code when loaded, which this package's safe formats promise not to do.
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

from ..errors import ArchitectureError, UnsafeContentError
from ..model_info import ModelInfo
from ..predictors import TorchPredictor
from .base import ModelFormat

__all__ = ["SAFETENSORS", "TORCH", "build_module"]


def build_module(class_path: str, init_kwargs: dict[str, Any]) -> Any:
    """Build a PyTorch module from the import path of its class and its constructor arguments.

    Parameters
    ----------
    class_path : str
        ``"module:QualName"``, e.g. ``"prodml_workshop.models:PenguinNet"``.
    init_kwargs : dict
        Keyword arguments of the class's constructor.

    Returns
    -------
    torch.nn.Module
        A new module with freshly initialised weights.

    Raises
    ------
    ArchitectureError
        If the class cannot be imported, is not a ``torch.nn.Module``, or rejects the
        arguments.
    """
    import torch

    module_name, _, qualname = class_path.partition(":")
    try:
        cls = importlib.import_module(module_name)
        for part in qualname.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError) as exc:
        raise ArchitectureError(
            f"Cannot import the module class {class_path!r} ({exc}). Install the package "
            "that defines it; classes defined in a notebook or script cannot be rebuilt, "
            "move them into an installed module."
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise ArchitectureError(f"{class_path!r} is not a torch.nn.Module subclass.")
    try:
        return cls(**init_kwargs)
    except TypeError as exc:
        raise ArchitectureError(
            f"{class_path} cannot be built with init_kwargs={init_kwargs}: {exc}"
        ) from exc


def _check_rebuildable(model: Any, info: ModelInfo) -> None:
    rebuilt = build_module(info.model_class, info.hyperparameters)
    if type(rebuilt) is not type(model):
        raise ArchitectureError(
            f"{info.model_class!r} imports a different class than the model's; define the "
            "class in an installed module and import it from there."
        )
    try:
        rebuilt.load_state_dict(model.state_dict())
    except RuntimeError as exc:
        raise ArchitectureError(
            f"{info.model_class}(**{info.hyperparameters}) does not have the model's shape; "
            f"pass the init_kwargs the model was built with. PyTorch said: {exc}"
        ) from exc


def _predictor(module: Any, manifest: dict[str, Any]) -> TorchPredictor:
    return TorchPredictor(module.eval(), manifest["task"], manifest["classes"])


def _misfit(file: Path, exc: RuntimeError) -> ArchitectureError:
    return ArchitectureError(
        f"The weights in {file.name} do not fit the architecture recorded in the manifest: {exc}"
    )


def _save_torch(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    import torch

    _check_rebuildable(model, info)
    torch.save(model.state_dict(), file)


def _load_torch(file: Path, manifest: dict[str, Any], trusted: bool) -> TorchPredictor:
    import torch

    architecture = manifest["architecture"]
    module = build_module(architecture["class"], architecture["init_kwargs"])
    try:
        state_dict = torch.load(file, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        raise UnsafeContentError(
            f"{file.name} holds objects other than tensors, which torch.load(weights_only=True) "
            "refuses to build. It is not a state_dict saved by save_model; nothing was "
            "loaded, and trusted=True does not change that. Save the model again."
        ) from exc
    try:
        module.load_state_dict(state_dict)
    except RuntimeError as exc:
        raise _misfit(file, exc) from exc
    return _predictor(module, manifest)


def _save_safetensors(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    import safetensors.torch

    _check_rebuildable(model, info)
    safetensors.torch.save_model(model, str(file))


def _load_safetensors(file: Path, manifest: dict[str, Any], trusted: bool) -> TorchPredictor:
    import safetensors.torch

    architecture = manifest["architecture"]
    module = build_module(architecture["class"], architecture["init_kwargs"])
    try:
        # load_model, not load_file: it restores weights that save_model de-duplicated.
        safetensors.torch.load_model(module, str(file), device="cpu")
    except RuntimeError as exc:
        raise _misfit(file, exc) from exc
    return _predictor(module, manifest)


TORCH = ModelFormat(
    name="torch",
    artifact="weights.pt",
    model_kinds=frozenset({"torch"}),
    runs_code_on_load=False,
    languages=("Python", "C++ (libtorch)"),
    tolerance=1e-9,
    save=_save_torch,
    load=_load_torch,
)

SAFETENSORS = ModelFormat(
    name="safetensors",
    artifact="weights.safetensors",
    model_kinds=frozenset({"torch"}),
    runs_code_on_load=False,
    languages=("Python", "Rust", "C++", "JavaScript"),
    tolerance=1e-9,
    save=_save_safetensors,
    load=_load_safetensors,
)
