"""A narrow fix for skl2onnx 1.20's HistGradientBoosting converter.

skl2onnx writes the tree attribute ``nodes_missing_value_tracks_true`` (which branch a missing
value takes) from ``missing_go_to_left``, an integer in scikit-learn's tree nodes, but writes
the Python ``False`` for every leaf. onnx 1.21 and newer refuse a bool in an integer list
("Expected an int, got a boolean"), so every ``HistGradientBoosting*`` model failed to convert.
Nothing else is wrong with the converter: with the flag written as the integer 0 (what
``False`` means there) the graph reproduces scikit-learn's predictions, missing values included.

:func:`missing_flags_as_integers` applies the fix for the length of one conversion. It can go
once skl2onnx writes integers itself: ``tests/test_packaging_skl2onnx_fixes.py`` then fails and
says so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["missing_flags_as_integers"]


@contextlib.contextmanager
def missing_flags_as_integers() -> Iterator[None]:
    """Make skl2onnx write the tree ensembles' missing-value flags as integers, within the block.

    Wraps ``skl2onnx.common.tree_ensemble.add_node``, the one function that appends a node's
    attributes, so that ``nodes_missing_value_tracks_true`` reaches onnx as an ``int``. Any
    other argument passes unchanged; the original function is back when the block ends.

    Yields
    ------
    None

    Examples
    --------
    >>> from skl2onnx.common import tree_ensemble
    >>> original = tree_ensemble.add_node
    >>> with missing_flags_as_integers():
    ...     tree_ensemble.add_node is original
    False
    >>> tree_ensemble.add_node is original
    True
    """
    from skl2onnx.common import tree_ensemble

    original = tree_ensemble.add_node

    def add_node(*args: Any, nodes_missing_value_tracks_true: Any = 0, **kwargs: Any) -> Any:
        return original(
            *args, nodes_missing_value_tracks_true=int(nodes_missing_value_tracks_true), **kwargs
        )

    tree_ensemble.add_node = add_node
    try:
        yield
    finally:
        tree_ensemble.add_node = original
