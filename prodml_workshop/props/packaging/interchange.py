"""A standard another program reads: ONNX scored outside this process, and in float64.

Serialization turns an object into bytes; a *standard* format lets another program turn those
bytes back into something that computes. :func:`score_onnx_elsewhere` proves it for an ONNX
file: a fresh Python process that imports only numpy and onnxruntime scores it, and reports
which of the libraries that made the model it had to import (none). :func:`onnx_feeds` turns
a DataFrame into the plain arrays such a program feeds the graph.

ONNX has a ``double`` tensor type: float32 is this package's converter choice, not a limit of
the standard. :func:`onnx_precision` converts one scikit-learn model twice, with float32 and
float64 inputs, and reports what each costs in precision, or why a runtime refuses it.

Examples
--------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
>>> model = LogisticRegression().fit(X, [0, 1, 0, 1])
>>> table = onnx_precision(model, X)
>>> bool(table.loc["float64", "max_abs_diff"] < 1e-12 < table.loc["float32", "max_abs_diff"])
True
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.packaging import load_model
from prodml_workshop.packaging.formats.onnx_sklearn import (
    MISSING_STRING,
    is_text_dtype,
    with_string_imputers_on_sentinel,
)

__all__ = ["OtherProcessScore", "onnx_feeds", "onnx_precision", "score_onnx_elsewhere"]

#: Libraries that made or wrap the model; the scoring process should need none of them.
MODEL_LIBRARIES = ("sklearn", "skl2onnx", "torch", "skops", "pandas", "prodml_workshop")

# The whole program of the other process: numpy and onnxruntime, nothing from this package.
_SCORER = """
import json, sys
import numpy as np
import onnxruntime
graph, inputs, outputs = sys.argv[1:4]
session = onnxruntime.InferenceSession(graph, providers=["CPUExecutionProvider"])
with np.load(inputs) as feeds:
    results = session.run(None, dict(feeds))
np.savez(outputs, *[np.asarray(r).astype(str) if np.asarray(r).dtype == object else r
                    for r in results])
libraries = json.loads(sys.argv[4])
print(json.dumps({"imported": [name for name in libraries if name in sys.modules],
                  "onnxruntime": onnxruntime.__version__}))
"""


@dataclass(frozen=True)
class OtherProcessScore:
    """What :func:`score_onnx_elsewhere` got back from the other process.

    Parameters
    ----------
    outputs : list of numpy.ndarray
        The graph's outputs in order (for a converted classifier: labels, probabilities).
    imported : list of str
        Which of :data:`MODEL_LIBRARIES` the other process had imported when it finished.
    onnxruntime_version : str
        The runtime that scored the graph.
    command : list of str
        The command that ran.
    """

    outputs: list[np.ndarray]
    imported: list[str]
    onnxruntime_version: str
    command: list[str]


def onnx_feeds(package: str | Path, X: Any) -> dict[str, np.ndarray]:
    """Return the arrays a program feeds a package's ONNX graph for these inputs.

    Parameters
    ----------
    package : str or pathlib.Path
        An ``onnx`` model package written by :func:`~prodml_workshop.packaging.save_model`.
    X : pandas.DataFrame or numpy.ndarray
        Inputs in the package's input schema.

    Returns
    -------
    dict of str to numpy.ndarray
        Graph input name to array: one float matrix, or one ``(n, 1)`` column per feature
        (text with missing values written as ``MISSING_STRING``).

    Raises
    ------
    ValueError
        If the package is not an ``onnx`` package.

    Examples
    --------
    >>> feeds = onnx_feeds("models/penguins-onnx", X_test)  # doctest: +SKIP
    >>> sorted(feeds)[:2]  # doctest: +SKIP
    ['bill_depth_mm', 'bill_length_mm']
    """
    model = load_model(package)
    if model.manifest["format"] != "onnx":
        raise ValueError(
            f"{package} is a {model.manifest['format']!r} package; onnx_feeds needs one saved "
            "with format='onnx'."
        )
    return model.predictor._feeds(model._columns(X))


def _plain(values: Any) -> np.ndarray:
    values = np.asarray(values)
    return values.astype(str) if values.dtype == object else values


def score_onnx_elsewhere(
    graph: str | Path, feeds: dict[str, np.ndarray], *, timeout: float = 120
) -> OtherProcessScore:
    """Score an ONNX file in a fresh Python process that imports only numpy and onnxruntime.

    The inputs travel as an ``.npz`` file, the outputs come back the same way: the other
    process gets bytes and a standard, no Python object of ours.

    Parameters
    ----------
    graph : str or pathlib.Path
        An ``.onnx`` file.
    feeds : dict of str to numpy.ndarray
        The graph's inputs by name (see :func:`onnx_feeds`).
    timeout : float, default=120
        Seconds to wait for the other process.

    Returns
    -------
    OtherProcessScore
        The outputs, and which model libraries the other process imported.

    Raises
    ------
    RuntimeError
        If the other process fails; the message holds its error output.

    Examples
    --------
    >>> import numpy as np, pathlib, tempfile
    >>> from skl2onnx import to_onnx
    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0]], dtype=np.float32)
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "line.onnx"
    >>> _ = file.write_bytes(to_onnx(LinearRegression().fit(X, [1, 3, 5]), X).SerializeToString())
    >>> result = score_onnx_elsewhere(file, {"X": X})
    >>> result.outputs[0].ravel().round(3).tolist(), result.imported
    ([1.0, 3.0, 5.0], [])
    """
    graph = Path(graph)
    if not graph.is_file():
        raise FileNotFoundError(f"No ONNX file at {graph}; pass the path of a .onnx file.")
    with tempfile.TemporaryDirectory(prefix="onnx_elsewhere_") as folder:
        inputs, outputs = Path(folder) / "inputs.npz", Path(folder) / "outputs.npz"
        # Text as fixed-width unicode: an .npz of Python objects would need pickle to read.
        np.savez(inputs, **{name: _plain(value) for name, value in feeds.items()})
        command = [sys.executable, "-c", _SCORER, str(graph), str(inputs), str(outputs)]
        done = subprocess.run(
            [*command, json.dumps(MODEL_LIBRARIES)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"The scoring process failed:\n{done.stderr.strip()[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        with np.load(outputs) as saved:
            results = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    return OtherProcessScore(
        results, report["imported"], report["onnxruntime"], [sys.executable, "-c", "<scorer>"]
    )


def _typed_inputs(
    model: Any, X: Any, float_type: Any
) -> tuple[Any, list[tuple[str, Any]], list[np.ndarray]]:
    """The graph model, its initial types and its inputs in order, numbers as ``float_type``."""
    from skl2onnx.common.data_types import DoubleTensorType, StringTensorType

    dtype = np.float64 if float_type is DoubleTensorType else np.float32
    if not isinstance(X, pd.DataFrame):
        X = np.asarray(X, dtype=dtype)
        return model, [("X", float_type([None, X.shape[1]]))], [X]
    types, feeds = [], []
    for name, column in X.items():
        if is_text_dtype(column.dtype):
            types.append((str(name), StringTensorType([None, 1])))
            values = column.astype(object).where(column.notna(), MISSING_STRING).astype(str)
        else:
            types.append((str(name), float_type([None, 1])))
            values = column.astype(dtype)
        feeds.append(values.to_numpy().reshape(-1, 1))
    return with_string_imputers_on_sentinel(model), types, feeds


def onnx_precision(model: Any, X: Any) -> pd.DataFrame:
    """Convert a scikit-learn classifier to ONNX in float32 and in float64, and compare.

    Parameters
    ----------
    model : fitted scikit-learn classifier or pipeline with ``predict_proba``
        What to convert (skl2onnx).
    X : pandas.DataFrame or numpy.ndarray
        Inputs to score; a DataFrame gets one graph input per column, as in our packages.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``float32`` and ``float64``: ``max_abs_diff`` (largest probability
        difference from scikit-learn's, NaN when it failed), ``same_labels`` and ``error``
        (why the conversion or the runtime refused it, else empty).

    Examples
    --------
    >>> onnx_precision(pipeline, X_test)["error"]  # doctest: +SKIP
    """
    import onnxruntime
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    expected = model.predict_proba(X)
    labels = np.asarray(model.predict(X))
    rows = {}
    for name, float_type in (("float32", FloatTensorType), ("float64", DoubleTensorType)):
        graph_model, types, feeds = _typed_inputs(model, X, float_type)
        try:
            graph = convert_sklearn(
                graph_model, initial_types=types, options={id(graph_model): {"zipmap": False}}
            )
            session = onnxruntime.InferenceSession(
                graph.SerializeToString(), providers=["CPUExecutionProvider"]
            )
            # By position: skl2onnx renames columns that are not valid names (spaces...).
            names = [graph_input.name for graph_input in session.get_inputs()]
            got_labels, got_proba = session.run(None, dict(zip(names, feeds, strict=True)))[:2]
        except Exception as exc:  # a converter or runtime refusal is the finding
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            rows[name] = {
                "max_abs_diff": np.nan,
                "same_labels": False,
                "error": f"{type(exc).__name__}: {message[:200]}",
            }
            continue
        rows[name] = {
            "max_abs_diff": float(np.abs(np.asarray(got_proba, dtype=float) - expected).max()),
            "same_labels": bool((np.asarray(got_labels).ravel() == labels).all()),
            "error": "",
        }
    return pd.DataFrame.from_dict(rows, orient="index")
