"""Size, load and predict time of each model family's package, and which formats work for it.

Fits one model per family on the penguins' four numeric columns (species; scaled inside a
pipeline, scikit-learn's default hyperparameters), plus the course's PenguinNet, and for each:
asks :func:`prodml_workshop.packaging.format_support` which formats work, saves it as skops
(safetensors for the PyTorch net) and as ONNX, and measures the artifact's size, the median
time of ``load_model`` and of ``predict`` on the 103 test rows (after one warm-up each, so
library imports are not counted). Writes the table as Markdown to
``benchmarks/packaging_families.md`` and prints it.

Usage::

    .venv/bin/python benchmarks/packaging_families.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.data import load_penguins
from prodml_workshop.packaging import format_support, load_model, save_model

__all__ = ["families", "measure"]

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
OUTPUT = Path(__file__).with_name("packaging_families.md")


def families() -> dict[str, Any]:
    """Return one unfitted model per family, by the name the README shows."""
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    estimators = {
        "logistic regression": LogisticRegression(),
        "SVM (SVC)": SVC(),
        "k-nearest neighbours": KNeighborsClassifier(),
        "naive Bayes (Gaussian)": GaussianNB(),
        "MLP": MLPClassifier(max_iter=1000, random_state=0),
        "decision tree": DecisionTreeClassifier(random_state=0),
        "random forest (100 trees)": RandomForestClassifier(random_state=0),
        "extra trees (100 trees)": ExtraTreesClassifier(random_state=0),
        "gradient boosting (100 stages)": GradientBoostingClassifier(random_state=0),
        "histogram gradient boosting": HistGradientBoostingClassifier(random_state=0),
    }
    return {name: make_pipeline(StandardScaler(), model) for name, model in estimators.items()}


def _penguin_net(X: np.ndarray, y: np.ndarray) -> tuple[Any, dict[str, int]]:
    import torch

    from prodml_workshop.models import PenguinNet

    init_kwargs = {"n_features": 4, "n_outputs": 3}
    torch.manual_seed(0)
    net = PenguinNet(**init_kwargs)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(200):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(inputs), targets).backward()
        optimizer.step()
    return net.eval(), init_kwargs


def _median_seconds(function: Callable[[], Any], repeats: int) -> float:
    function()  # warm-up: imports, caches, the JVM
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cell(model: Any, X_test: Any, folder: Path, fmt: str, repeats: int, **options: Any) -> str:
    package = save_model(model, folder / fmt, format=fmt, sample_input=X_test[:5], **options)
    size = sum(f.stat().st_size for f in package.iterdir() if f.name != "manifest.json")
    load_s = _median_seconds(lambda: load_model(package), repeats)
    loaded = load_model(package)
    predict_s = _median_seconds(lambda: loaded.predict(X_test), repeats)
    return f"{size / 1024:,.1f} KB · {load_s * 1000:.1f} ms · {predict_s * 1000:.2f} ms"


def measure(repeats: int = 7) -> pd.DataFrame:
    """Measure every family's packages.

    Parameters
    ----------
    repeats : int, default=7
        Timed repetitions of each load and predict (the median is reported).

    Returns
    -------
    pandas.DataFrame
        One row per family: the formats that work, then "size · load · predict" for the
        Python-only safe format (skops, or safetensors for PyTorch) and for ONNX.
    """
    from sklearn.model_selection import train_test_split

    penguins = load_penguins().dropna(subset=NUMERIC)
    X_train, X_test, y_train, _ = train_test_split(
        penguins[NUMERIC], penguins["species"], test_size=0.3, random_state=0
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, model in families().items():
            model.fit(X_train, y_train)
            support = format_support(model, X_test[:5])
            works = list(support.index[support["works"]])
            folder = Path(tmp) / name
            rows.append(
                {
                    "model family": name,
                    "formats that work": ", ".join(works),
                    "skops / safetensors": _cell(model, X_test, folder, "skops", repeats),
                    "ONNX": _cell(model, X_test, folder, "onnx", repeats)
                    if "onnx" in works
                    else f"refused ({support.loc['onnx', 'reason'].split(':')[0]})",
                }
            )
        classes = np.asarray(sorted(penguins["species"].unique()))
        X_array = X_train.to_numpy(np.float32)
        mean, std = X_array.mean(axis=0), X_array.std(axis=0)
        net, init_kwargs = _penguin_net(
            (X_array - mean) / std, np.searchsorted(classes, y_train.to_numpy())
        )
        net.classes_ = list(classes)
        X_net = (X_test.to_numpy(np.float32) - mean) / std
        support = format_support(net, X_net[:5], init_kwargs)
        folder = Path(tmp) / "net"
        rows.append(
            {
                "model family": "PyTorch MLP (PenguinNet, 2 hidden layers of 16)",
                "formats that work": ", ".join(support.index[support["works"]]),
                "skops / safetensors": _cell(
                    net, X_net, folder, "safetensors", repeats, init_kwargs=init_kwargs
                ),
                "ONNX": _cell(net, X_net, folder, "onnx", repeats, init_kwargs=init_kwargs),
            }
        )
    return pd.DataFrame(rows)


def _markdown(table: pd.DataFrame, before: tuple, after: tuple, repeats: int) -> str:
    header = "| " + " | ".join(table.columns) + " |"
    lines = [header, "| " + " | ".join("---" for _ in table.columns) + " |"]
    lines += ["| " + " | ".join(str(value) for value in row) + " |" for row in table.values]
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    return "\n".join(
        [
            "# Packages per model family",
            "",
            *lines,
            "",
            f"- Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine} by "
            "`benchmarks/packaging_families.py`; load average (1, 5, 15 min) "
            f"{', '.join(f'{v:.2f}' for v in before)} before, "
            f"{', '.join(f'{v:.2f}' for v in after)} after.",
            "- Each cell: artifact size · median `load_model` · median `predict` on 103 rows "
            f"({repeats} runs after one warm-up). Penguin species from the four numeric "
            "columns, StandardScaler + the family's estimator with scikit-learn's defaults.",
            "",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    before = os.getloadavg()
    table = measure(args.repeats)
    text = _markdown(table, before, os.getloadavg(), args.repeats)
    OUTPUT.write_text(text)
    print(text)
