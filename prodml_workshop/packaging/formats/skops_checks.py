"""Bounds checks on the node arrays of a model that skops rebuilt, before anything predicts.

skops builds a decision tree (``sklearn.tree._tree.Tree``), a histogram gradient boosting tree
(``TreePredictor``) or a k-d/ball tree from arrays stored in the file, without running code
named by the file. But scikit-learn's Cython prediction code then follows the node indices in
those arrays without bounds checks, so a crafted file could make ``predict`` read or write
outside the arrays (skops' ``UNTRUSTED_TYPE_REASONS`` says so). :func:`check_node_arrays`
closes that gap for the types of :data:`~prodml_workshop.packaging.SKOPS_SAFE_TYPES`: every
child index points forward inside its tree, every split feature exists in the input the
estimator checks ``X`` against, and every count the prediction code relies on matches the
arrays. A model that scikit-learn fitted always passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import UnsafeContentError

__all__ = ["check_node_arrays"]

_LEAF = -1  # sklearn.tree._tree.TREE_LEAF


def _objects(model: Any) -> Iterator[Any]:
    """Yield every object reachable from ``model`` (attributes, containers, object arrays)."""
    seen: set[int] = set()
    stack = [model]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, np.ndarray):
            if item.dtype == object:
                stack.extend(item.ravel())
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())


def _refuse(what: str, problem: str) -> UnsafeContentError:
    return UnsafeContentError(
        f"{what} {problem}. A model fitted by scikit-learn never has this: the file was "
        "crafted or corrupted, and predicting with it could read or write outside its "
        "arrays. Nothing was run; get the package from its author again."
    )


def _width(estimator: Any) -> int:
    width = getattr(estimator, "n_features_in_", None)
    if not isinstance(width, int | np.integer) or width < 1:
        raise _refuse(
            type(estimator).__name__,
            "has no valid n_features_in_, so the width of its input would go unchecked",
        )
    return int(width)


def _check_links(what: str, left: np.ndarray, right: np.ndarray, is_leaf: np.ndarray) -> None:
    """Children of inner nodes must point forward inside the tree (so every walk ends)."""
    n_nodes = len(left)
    index = np.arange(n_nodes)
    inner = ~is_leaf
    for child in (left, right):
        if np.any((child[inner] <= index[inner]) | (child[inner] >= n_nodes)):
            raise _refuse(what, "has a child index outside the tree or pointing backwards")


def _max_depth(left: np.ndarray, right: np.ndarray, is_leaf: np.ndarray) -> int:
    """The depth of the deepest node, level by level (links are checked to point forward)."""
    depth, level = 0, np.array([0])
    while True:
        inner = level[~is_leaf[level]]
        if inner.size == 0:
            return depth
        # unique: a crafted node list may share children, which must not multiply the level.
        level = np.unique(np.concatenate([left[inner], right[inner]]))
        depth += 1


def _check_tree(tree: Any, width: int) -> None:
    what = "A decision tree (sklearn.tree._tree.Tree)"
    # node_count bounds every walk over the node array; capacity is its real length.
    if not 1 <= tree.node_count == tree.capacity:
        raise _refuse(what, f"claims {tree.node_count} nodes in an array of {tree.capacity}")
    if tree.n_features != width:
        raise _refuse(what, f"splits on {tree.n_features} features, its estimator takes {width}")
    nodes = tree.__getstate__()["nodes"]
    left, right, feature = nodes["left_child"], nodes["right_child"], nodes["feature"]
    is_leaf = left == _LEAF
    if np.any(is_leaf != (right == _LEAF)):
        raise _refuse(what, "has a node with one child")
    _check_links(what, left, right, is_leaf)
    if np.any((feature[~is_leaf] < 0) | (feature[~is_leaf] >= width)):
        raise _refuse(what, f"splits on a feature outside 0..{width - 1}")
    # decision_path() sizes its buffer from max_depth.
    if tree.max_depth != _max_depth(left, right, is_leaf):
        raise _refuse(what, f"records max_depth={tree.max_depth}, not the depth of its nodes")


def _check_bitsets(what: str, bitsets: Any) -> None:
    if not (isinstance(bitsets, np.ndarray) and bitsets.ndim == 2 and bitsets.shape[1] == 8):
        raise _refuse(what, "has category bitsets that are not an (n, 8) array")


def _check_tree_predictor(predictor: Any, width: int, n_known_categorical: np.ndarray) -> None:
    what = "A histogram gradient boosting tree (TreePredictor)"
    nodes = getattr(predictor, "nodes", None)
    if not (isinstance(nodes, np.ndarray) and nodes.ndim == 1 and len(nodes) >= 1):
        raise _refuse(what, "has no node array")
    for name in ("raw_left_cat_bitsets", "binned_left_cat_bitsets"):
        _check_bitsets(what, getattr(predictor, name, None))
    is_leaf = nodes["is_leaf"].astype(bool)
    left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
    _check_links(what, left, right, is_leaf)
    feature = nodes["feature_idx"].astype(np.int64)[~is_leaf]
    if np.any((feature < 0) | (feature >= width)):
        raise _refuse(what, f"splits on a feature outside 0..{width - 1}")
    categorical = nodes["is_categorical"].astype(bool)[~is_leaf]
    bitset = nodes["bitset_idx"].astype(np.int64)[~is_leaf][categorical]
    n_bitsets = min(len(predictor.raw_left_cat_bitsets), len(predictor.binned_left_cat_bitsets))
    if np.any(bitset >= n_bitsets) or np.any(n_known_categorical[feature[categorical]] < 1):
        raise _refuse(what, "has a categorical split without its category bitset")


def _check_hist_gradient_boosting(model: Any) -> set[int]:
    width = _width(model)
    known, feature_map = model._bin_mapper.make_known_categories_bitsets()
    _check_bitsets(type(model).__name__, known)
    if len(feature_map) != width:
        raise _refuse(type(model).__name__, "has a bin mapper for another number of features")
    # How many known-category bitsets each feature has (0 for numeric features).
    is_categorical = np.asarray(model._bin_mapper.is_categorical_, dtype=bool)
    n_known = np.where(is_categorical, (feature_map < len(known)).astype(int), 0)
    checked = set()
    for iteration in model._predictors:
        for predictor in iteration:
            _check_tree_predictor(predictor, width, n_known)
            checked.add(id(predictor))
    return checked


def _check_binary_tree(tree: Any) -> None:
    from sklearn.neighbors import KDTree

    what = f"A {type(tree).__name__}"
    data, order, node_data, bounds, _, n_levels, n_nodes, *_, weights = tree.__getstate__()
    n_samples, n_features = data.shape
    if len(order) != n_samples or np.any((order < 0) | (order >= n_samples)):
        raise _refuse(what, "orders rows that are not in its data")
    n_bound_rows = 2 if isinstance(tree, KDTree) else 1
    if not (n_nodes == 2**n_levels - 1 == len(node_data)) or bounds.shape != (
        n_bound_rows,
        n_nodes,
        n_features,
    ):
        raise _refuse(what, "has node arrays whose sizes disagree")
    start, end = node_data["idx_start"], node_data["idx_end"]
    if np.any((start < 0) | (start > end) | (end > n_samples)):
        raise _refuse(what, "has a node holding rows outside its data")
    inner = np.flatnonzero(node_data["is_leaf"] == 0)
    if np.any(2 * inner + 2 >= n_nodes):
        raise _refuse(what, "has an inner node whose children lie outside the tree")
    if weights is not None and len(weights) != n_samples:
        raise _refuse(what, "has sample weights for another number of rows")


def check_node_arrays(model: Any) -> None:
    """Check that every tree in a rebuilt model has node indices within bounds.

    Parameters
    ----------
    model : object
        What ``skops.io.load`` returned.

    Raises
    ------
    UnsafeContentError
        If a tree's node indices, feature indices or counts do not fit its arrays or its
        estimator's input, or a tree is found outside the estimator that checks its input.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> check_node_arrays(DecisionTreeClassifier().fit([[0], [1]], [0, 1]))
    """
    # Private scikit-learn modules: the tree, forest and neighbours classes holding the Cython
    # arrays this check inspects have no public import path (pinned scikit-learn 1.9.0).
    from sklearn.ensemble._forest import BaseForest
    from sklearn.ensemble._gb import BaseGradientBoosting
    from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import (
        BaseHistGradientBoosting,
    )
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.neighbors._ball_tree import BallTree
    from sklearn.neighbors._kd_tree import KDTree
    from sklearn.tree import BaseDecisionTree
    from sklearn.tree._tree import Tree

    objects = list(_objects(model))
    checked: set[int] = set()
    for item in objects:
        if isinstance(item, BaseDecisionTree) and hasattr(item, "tree_"):
            if not isinstance(item.tree_, Tree):
                raise _refuse(type(item).__name__, "holds a tree_ that is not a Tree")
            _check_tree(item.tree_, _width(item))
            checked.add(id(item.tree_))
        elif isinstance(item, BaseHistGradientBoosting) and hasattr(item, "_predictors"):
            checked |= _check_hist_gradient_boosting(item)
        elif isinstance(item, KDTree | BallTree):
            _check_binary_tree(item)
    for item in objects:
        if isinstance(item, Tree | TreePredictor) and id(item) not in checked:
            raise _refuse(f"A {type(item).__name__}", "sits outside the estimator that owns it")
        # Forests and gradient boosting call their trees without checking X again: every
        # tree must take the ensemble's width.
        if isinstance(item, BaseForest | BaseGradientBoosting) and hasattr(item, "estimators_"):
            width = _width(item)
            for member in np.asarray(item.estimators_, dtype=object).ravel():
                if isinstance(member, BaseDecisionTree) and _width(member) != width:
                    raise _refuse(type(item).__name__, "holds a tree for another input width")
        # Gradient boosting adds the trees of each stage into columns of the initial
        # prediction without bounds checks: the stage grid must be as wide as that.
        if isinstance(item, BaseGradientBoosting) and hasattr(item, "estimators_"):
            stages = item.estimators_
            if not (isinstance(stages, np.ndarray) and stages.ndim == 2 and stages.size):
                raise _refuse(type(item).__name__, "has no grid of stages")
            initial = item._raw_predict_init(np.zeros((1, _width(item)), dtype=np.float32))
            if stages.shape[1] != initial.shape[1]:
                raise _refuse(type(item).__name__, "has a stage grid of the wrong width")
