"""``skops``: scikit-learn objects stored as a zip of JSON and arrays, loaded without pickle.

``skops.io.load`` only builds types that skops trusts or that the caller lists. The loader here
adds one type to skops' defaults, ``numpy.dtype``: skops rebuilds it as the dtype of an empty
array (``skops.io._numpy.DTypeNode``), which runs no code. Any other type skops does not trust
is refused with :class:`~prodml_workshop.packaging.UnsafeContentError` naming the types,
unless ``trusted=True``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UnsafeContentError
from ..model_info import ModelInfo
from .base import ModelFormat

__all__ = ["SKOPS"]

_SAFE_TYPES = frozenset({"numpy.dtype"})


def _save(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    import skops.io

    skops.io.dump(model, file)


def _load(file: Path, manifest: dict[str, Any], trusted: bool) -> Any:
    import skops.io

    untrusted = skops.io.get_untrusted_types(file=file)
    refused = sorted(set(untrusted) - _SAFE_TYPES)
    if refused and not trusted:
        raise UnsafeContentError(
            f"{file.name} holds types that skops does not trust by default: {refused}. "
            "Building them could run their code. Check that you know each of them, then "
            "pass trusted=True."
        )
    return skops.io.load(file, trusted=untrusted)


SKOPS = ModelFormat(
    name="skops",
    artifact="model.skops",
    model_kinds=frozenset({"sklearn"}),
    runs_code_on_load=False,
    languages=("Python",),
    save=_save,
    load=_load,
)
