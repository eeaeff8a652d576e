"""In-process latency per row at batch sizes 1 to 10,000: the penguin pipeline and its ONNX twin.

Fits the course's penguin pipeline, saves it as a skops package and as an ONNX package, loads
both with :func:`prodml_workshop.packaging.load_model` and prints
:func:`prodml_workshop.props.scaling.latency_by_batch_size` for both, with the load average.

Usage::

    .venv/bin/python benchmarks/scaling_batch_size.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import pandas as pd

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import load_model, save_model
from prodml_workshop.penguin_model import penguin_pipeline
from prodml_workshop.props.scaling import latency_by_batch_size

__all__ = ["measure"]


def measure(min_seconds: float = 0.5) -> pd.DataFrame:
    """Return the batch-size curve of the skops pipeline and its ONNX twin.

    Parameters
    ----------
    min_seconds : float, default=0.5
        Time spent per model and batch size.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`~prodml_workshop.props.scaling.latency_by_batch_size`.
    """
    penguins = load_penguins()
    X = penguins[PENGUIN_FEATURES]
    model = penguin_pipeline().fit(X, penguins["species"])
    with tempfile.TemporaryDirectory() as tmp:
        models = {
            name: load_model(save_model(model, Path(tmp) / fmt, format=fmt, sample_input=X.head()))
            for name, fmt in (("scikit-learn (skops)", "skops"), ("ONNX", "onnx"))
        }
        return latency_by_batch_size(models, X, min_seconds=min_seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-seconds", type=float, default=0.5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    curve = measure(args.min_seconds)
    print(curve.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(f"load average after: {os.getloadavg()}")
