"""Props of the packaging lecture: a PyTorch net, large weights, a file header, load timings.

These are what ``notebooks/01_packaging.ipynb`` calls so that its cells stay about packaging:
a briefly trained :class:`~prodml_workshop.models.PenguinNet`, a model whose weights are big
enough to time, a reader of a safetensors file's header, a timing of how ``torch.load`` and
safetensors load a large set of weights, and a plot of
:func:`~prodml_workshop.packaging.compare_formats`'s table.

Examples
--------
>>> import pathlib, tempfile
>>> import safetensors.torch
>>> from prodml_workshop.props.packaging.demo import big_model, safetensors_header
>>> file = pathlib.Path(tempfile.mkdtemp()) / "weights.safetensors"
>>> safetensors.torch.save_file(big_model(n_layers=2, width=8).state_dict(), file)
>>> safetensors_header(file)["0.weight"]
{'dtype': 'F32', 'shape': [8, 8], 'data_offsets': [32, 288]}
"""

from __future__ import annotations

import gc
import json
import struct
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "big_model",
    "plot_formats",
    "safetensors_header",
    "time_loads",
    "train_penguin_net",
]


def train_penguin_net(
    X: np.ndarray,
    y: Iterable[Any],
    *,
    hidden: int = 16,
    epochs: int = 200,
    lr: float = 0.02,
    seed: int = 0,
) -> Any:
    """Train a :class:`~prodml_workshop.models.PenguinNet` classifier, full batch, with Adam.

    Parameters
    ----------
    X : numpy.ndarray of shape (n_samples, n_features)
        Numeric features, already imputed and scaled.
    y : array-like of shape (n_samples,)
        Class labels (e.g. species names).
    hidden : int, default=16
        Width of the hidden layers.
    epochs : int, default=200
        Number of full-batch steps.
    lr : float, default=0.02
        Adam's learning rate.
    seed : int, default=0
        Seed of the weights' initialisation, so that a re-run gives the same model.

    Returns
    -------
    PenguinNet
        In eval mode, with ``classes_`` set to the sorted labels (the order of its logits)
        and ``init_kwargs``, the constructor arguments that :func:`save_model` needs.

    Examples
    --------
    >>> import numpy as np
    >>> net = train_penguin_net(np.eye(4, dtype=np.float32), ["a", "b", "a", "b"], epochs=5)
    >>> net.classes_, net.init_kwargs
    (['a', 'b'], {'n_features': 4, 'n_outputs': 2, 'hidden': 16})
    """
    import torch

    from prodml_workshop.models import PenguinNet

    labels = np.asarray(list(y))
    classes, codes = np.unique(labels, return_inverse=True)
    init_kwargs = {"n_features": int(X.shape[1]), "n_outputs": len(classes), "hidden": hidden}
    torch.manual_seed(seed)
    net = PenguinNet(**init_kwargs)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs = torch.from_numpy(np.asarray(X, dtype=np.float32))
    targets = torch.from_numpy(codes.astype(np.int64))
    net.train()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss_fn(net(inputs), targets).backward()
        optimizer.step()
    net.classes_ = [c.item() if isinstance(c, np.generic) else c for c in classes]
    net.init_kwargs = init_kwargs
    return net.eval()


def safetensors_header(file: str | Path) -> dict[str, Any]:
    """Read the header of a safetensors file: JSON that says where each tensor's bytes are.

    A safetensors file is 8 bytes (the header's length, little-endian), a JSON header, then
    the raw bytes of the tensors. Reading the header parses JSON and nothing else.

    Parameters
    ----------
    file : str or pathlib.Path
        A ``.safetensors`` file.

    Returns
    -------
    dict
        Tensor name to ``{"dtype", "shape", "data_offsets"}``, plus ``"__metadata__"`` if the
        file has one.

    Raises
    ------
    ValueError
        If the file is too short to be a safetensors file or its header is not JSON.
    """
    file = Path(file)
    size = file.stat().st_size
    with file.open("rb") as stream:
        prefix = stream.read(8)
        if len(prefix) < 8:
            raise ValueError(f"{file} is too short to be a safetensors file.")
        (length,) = struct.unpack("<Q", prefix)
        if length > size - 8:
            raise ValueError(
                f"{file} does not start with a safetensors header: it announces a "
                f"{length:,}-byte header in a {size:,}-byte file."
            )
        raw = stream.read(length)
    try:
        return json.loads(raw)
    except ValueError as exc:  # includes UnicodeDecodeError
        raise ValueError(f"{file} does not start with a safetensors header: {exc}") from None


def big_model(n_layers: int = 4, width: int = 4096, seed: int = 0) -> Any:
    """Build a stack of large ``Linear`` layers: weights big enough for loading to take time.

    Parameters
    ----------
    n_layers : int, default=4
        Number of ``width x width`` layers.
    width : int, default=4096
        Their input and output size.
    seed : int, default=0
        Seed of the random initialisation.

    Returns
    -------
    torch.nn.Sequential
        ``n_layers * (width + 1) * width`` float32 parameters: about 268 MB by default.

    Examples
    --------
    >>> sum(p.numel() for p in big_model(2, 8).parameters())
    144
    """
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(*(torch.nn.Linear(width, width) for _ in range(n_layers)))


def _read_all(tensors: Iterable[Any]) -> float:
    # Sum every tensor, so that each byte asked for is read: a memory-mapped tensor is only
    # a promise until its pages are touched.
    return sum(float(tensor.sum()) for tensor in tensors)


def _loaders(
    torch_file: Path, safetensors_file: Path, tensor: str
) -> list[tuple[str, str, str, Callable[[], float]]]:
    import safetensors.torch
    import torch

    def torch_load(mmap: bool) -> dict[str, Any]:
        return torch.load(torch_file, weights_only=True, map_location="cpu", mmap=mmap)

    def one_tensor_safetensors() -> float:
        with safetensors.safe_open(str(safetensors_file), framework="pt") as stream:
            return _read_all([stream.get_tensor(tensor)])

    every, one = "every tensor", f"one tensor ({tensor})"
    plain, mapped = "torch.load(f, weights_only=True", "torch.load(f, weights_only=True, mmap=True"
    return [
        (every, "torch.load", f"{plain})", lambda: _read_all(torch_load(False).values())),
        (
            every,
            "torch.load(mmap=True)",
            f"{mapped})",
            lambda: _read_all(torch_load(True).values()),
        ),
        (
            every,
            "safetensors",
            "safetensors.torch.load_file(f)",
            lambda: _read_all(safetensors.torch.load_file(str(safetensors_file)).values()),
        ),
        (one, "torch.load", f"{plain})[name]", lambda: _read_all([torch_load(False)[tensor]])),
        (
            one,
            "torch.load(mmap=True)",
            f"{mapped})[name]",
            lambda: _read_all([torch_load(True)[tensor]]),
        ),
        (
            one,
            "safetensors",
            'safe_open(f, framework="pt").get_tensor(name)',
            one_tensor_safetensors,
        ),
    ]


def time_loads(
    torch_file: str | Path,
    safetensors_file: str | Path,
    tensor: str,
    *,
    repeats: int = 3,
    progress: bool = True,
) -> pd.DataFrame:
    """Time loading the same weights from a ``torch.save`` file and a safetensors file.

    Two tasks: read every tensor, and read one tensor. Each loader returns tensors whose every
    element is then summed, so that lazily mapped bytes are really read; the time includes
    that sum. Nothing is kept between runs, so at most one copy of the weights is alive.

    Parameters
    ----------
    torch_file : str or pathlib.Path
        A state_dict saved with ``torch.save``.
    safetensors_file : str or pathlib.Path
        The same tensors saved with safetensors.
    tensor : str
        Name of the tensor to read in the one-tensor task.
    repeats : int, default=3
        Runs of each loader; the table keeps the fastest, the usual way to time on a busy
        machine.
    progress : bool, default=True
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per task (``"every tensor"``, ``"one tensor (<name>)"``) and loader
        (``"torch.load"``, ``"torch.load(mmap=True)"``, ``"safetensors"``), with columns
        ``task``, ``loader``, ``call`` (the code timed), ``seconds`` (best of ``repeats``) and
        ``all_runs_s`` (every run, in order).
    """
    from tqdm.auto import tqdm

    loaders = _loaders(Path(torch_file), Path(safetensors_file), tensor)
    rows = []
    for task, loader, call, run in tqdm(loaders, desc="loaders", disable=not progress):
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            runs.append(time.perf_counter() - start)
            gc.collect()
        rows.append(
            {
                "task": task,
                "loader": loader,
                "call": call,
                "seconds": min(runs),
                "all_runs_s": [round(s, 4) for s in runs],
            }
        )
    return pd.DataFrame(rows)


def plot_formats(table: pd.DataFrame) -> Any:
    """Plot the size, load time and predict time of each format from :func:`compare_formats`.

    Parameters
    ----------
    table : pandas.DataFrame
        What :func:`~prodml_workshop.packaging.compare_formats` returned.

    Returns
    -------
    matplotlib.figure.Figure
        Three bar charts side by side, on logarithmic scales (the formats differ by orders of
        magnitude); formats that can run code when loaded are drawn in red.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    panels = [
        ("size_bytes", "artifact size (KB)", 1e-3),
        ("load_s", "load time (ms)", 1e3),
        ("predict_s", "predict time (ms)", 1e3),
    ]
    colors = ["#c62828" if unsafe else "#1565c0" for unsafe in table["runs_code_on_load"]]
    fig, axes = plt.subplots(1, len(panels), figsize=(12, 3.2), layout="constrained")
    for ax, (column, title, scale) in zip(axes, panels, strict=True):
        values = table[column] * scale
        ax.bar(table.index, values, color=colors)
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=45)
        for x, value in enumerate(values):
            label = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
            ax.annotate(label, (x, value), ha="center", va="bottom", fontsize=8)
    fig.suptitle("One model, several formats (red: loading can run code)")
    return fig
