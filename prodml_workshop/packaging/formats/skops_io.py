"""``skops``: scikit-learn objects stored as a zip of JSON and arrays, loaded without pickle.

``skops.io.load`` only builds types that skops trusts or that the caller lists. This loader adds
:data:`SKOPS_SAFE_TYPES`, the types scikit-learn's own estimators need, each with the reason
rebuilding it runs no code named by the file. Trust comes from that list and from the caller
(``trusted=True`` or a list of type names), never from the package: whoever can write the
package writes its files. Any other type is refused with
:class:`~prodml_workshop.packaging.UnsafeContentError` naming the types.

Trees (decision trees, histogram gradient boosting trees, k-d and ball trees) hold node indices
that scikit-learn's prediction code follows without bounds checks; skops leaves them untrusted
for that reason. After building, the loader checks every such index
(:func:`~prodml_workshop.packaging.formats.skops_checks.check_node_arrays`) before the model
is returned, so a crafted tree is refused instead of predicting out of bounds.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import UnsafeContentError, UnsupportedFormatError
from ..model_info import ModelInfo
from .base import ModelFormat
from .skops_checks import check_node_arrays

__all__ = ["SKOPS", "SKOPS_SAFE_TYPES", "untrusted_types"]

_NO_CODE = "built by object.__new__ and a __dict__ update (skops ObjectNode)"
_CHECKED = "then its node indices are bounds-checked by check_node_arrays"

#: Types skops does not trust by default that this loader does, with the reason each is safe.
SKOPS_SAFE_TYPES: dict[str, str] = {
    "numpy.dtype": "rebuilt by skops as the dtype of an empty array (DTypeNode); runs no code",
    "sklearn.tree._tree.Tree": (
        "rebuilt by scikit-learn's Cython Tree(n_features, n_classes, n_outputs) and "
        "Tree.__setstate__, which checks the arrays' dtypes and shapes (skops TreeNode); "
        f"{_CHECKED}"
    ),
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor": (
        f"a plain Python class holding three arrays, {_NO_CODE}; {_CHECKED}"
    ),
    "sklearn.neighbors._kd_tree.KDTree": (
        "scikit-learn's Cython BinaryTree: an empty tree filled by BinaryTree.__setstate__ "
        "through typed memoryviews that check every array's dtype (skops ObjectNode); "
        f"{_CHECKED}"
    ),
    "sklearn.neighbors._ball_tree.BallTree": (
        "as KDTree: an empty tree filled by BinaryTree.__setstate__ through typed "
        f"memoryviews (skops ObjectNode); {_CHECKED}"
    ),
    "sklearn.metrics._dist_metrics.EuclideanDistance64": (
        "the default metric of k-nearest neighbours: DistanceMetric64.__setstate__ stores a "
        "number and two arrays that the Euclidean distance never reads (skops ObjectNode)"
    ),
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer": (
        f"an MLP's training state (learning rates, moment arrays), {_NO_CODE}; predict never "
        "calls it"
    ),
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer": (
        f"an MLP's training state (learning rate, velocities), {_NO_CODE}; predict never calls it"
    ),
}


# Importing skops.io lists scikit-learn's estimators (sklearn.utils.all_estimators), and the
# pkgutil.walk_packages under it imports every subpackage of scikit-learn to look inside: among
# them the array API wrappers in sklearn.externals, which import PyTorch (~125 MB of private
# memory) and Dask when they are installed. all_estimators skips sklearn.externals, so they hold
# no estimator: they are kept out while skops.io is imported, and import as usual afterwards.
_ARRAY_API_WRAPPERS = tuple(
    f"sklearn.externals.array_api_compat.{library}" for library in ("torch", "dask", "cupy")
)


class _KeepOutArrayApiWrappers(importlib.abc.MetaPathFinder):
    """Refuse to import sklearn's PyTorch, Dask and CuPy array API wrappers (while installed)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name in _ARRAY_API_WRAPPERS or name.startswith(
            tuple(f"{wrapper}." for wrapper in _ARRAY_API_WRAPPERS)
        ):
            raise ModuleNotFoundError(f"{name} is not imported with skops.io", name=name)
        return None


def _skops_io() -> ModuleType:
    """Import ``skops.io`` without the PyTorch and Dask that scikit-learn's walk would import."""
    if "skops.io" not in sys.modules:
        keep_out = _KeepOutArrayApiWrappers()
        sys.meta_path.insert(0, keep_out)
        try:
            import skops.io
        finally:
            sys.meta_path.remove(keep_out)
    import skops.io

    return skops.io


def _save(model: Any, file: Path, info: ModelInfo, sample_input: Any) -> None:
    skops_io = _skops_io()
    from skops.io.exceptions import UnsupportedTypeException

    try:
        skops_io.dump(model, file)
    except UnsupportedTypeException as exc:
        raise UnsupportedFormatError(f"skops cannot store this model: {exc}") from exc


def untrusted_types(file: str | Path, trusted: bool | Sequence[str] = False) -> list[str]:
    """Return the types in a skops file that neither skops, this package nor the caller trusts.

    Parameters
    ----------
    file : str or pathlib.Path
        A ``.skops`` file.
    trusted : bool or sequence of str, default=False
        ``True`` trusts every type; a sequence trusts those type names as well as skops'
        defaults and :data:`SKOPS_SAFE_TYPES`.

    Returns
    -------
    list of str
        Sorted type names; empty when the file may be loaded.

    Examples
    --------
    >>> untrusted_types("models/forest/model.skops")  # doctest: +SKIP
    []
    """
    return _beyond_trust(_skops_io().get_untrusted_types(file=file), trusted)


def _beyond_trust(types: list[str], trusted: bool | Sequence[str]) -> list[str]:
    if trusted is True:
        return []
    return sorted(set(types) - set(SKOPS_SAFE_TYPES) - set(trusted or ()))


def _load(file: Path, manifest: dict[str, Any], trusted: bool | Sequence[str]) -> Any:
    skops_io = _skops_io()
    present = skops_io.get_untrusted_types(file=file)
    refused = _beyond_trust(present, trusted)
    if refused:
        raise UnsafeContentError(
            f"{file.name} holds types that neither skops nor this package trusts: {refused}. "
            "Building them could run their code. Check that you know each of them, then "
            "pass them by name, e.g. trusted=" + repr(refused) + " (or trusted=True)."
        )
    model = skops_io.load(file, trusted=present)
    check_node_arrays(model)
    return model


SKOPS = ModelFormat(
    name="skops",
    artifact="model.skops",
    model_kinds=frozenset({"sklearn"}),
    runs_code_on_load=False,
    languages=("Python",),
    tolerance=1e-9,
    save=_save,
    load=_load,
)
