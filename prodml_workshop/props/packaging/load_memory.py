"""What loading a file costs in memory: a private copy, or pages mapped from the file.

A loader either *copies* the file's bytes into the process (private memory, ``RssAnon`` in
Linux's ``/proc/self/status``) or *maps* the file and reads its pages from the page cache
(file-backed memory, ``RssFile``: shared with every process that maps the same file, and
dropped by the kernel under pressure). :func:`load_memory` runs one loader in a fresh Python
process, reads everything it loaded (so lazy pages are really touched), and reports the time
and both kinds of memory. :func:`joblib_vs_pickle` and :func:`weights_memory` put the
loaders of the packaging lecture side by side.

Only Linux tells the two kinds apart (:func:`memory_split_available`). Elsewhere (macOS,
Windows) the fresh process reports the growth of its USS (psutil's *unique set size*: the pages
no other process shares), which counts copies and can also count the pages of a mapped file
that no other process maps (on Linux it does: a 30 MB file memory-mapped and read adds 30 MB of
USS), so it cannot show the difference; the mapped memory and the peak are then NaN.
:func:`describe_memory_columns` says which of the two this system measures.

Examples
--------
>>> import numpy as np, pathlib, tempfile, joblib
>>> file = pathlib.Path(tempfile.mkdtemp()) / "arrays.joblib"
>>> _ = joblib.dump({"w": np.ones((1000, 1000))}, file)
>>> copied = load_memory(file, "joblib.load")
>>> bool(copied["private_mb"] > 6)  # an 8 MB array copied, on any system
True
>>> mapped = load_memory(file, "joblib.load(mmap_mode='r')")
>>> not memory_split_available() or bool(mapped["private_mb"] < 1 < 6 < mapped["mapped_mb"])
True
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "LOADERS",
    "describe_memory_columns",
    "joblib_vs_pickle",
    "load_memory",
    "memory_split_available",
    "weights_memory",
]

# Linux's memory counters of the reading process: RssAnon (private), RssFile (mapped), VmHWM.
_STATUS = Path("/proc/self/status")

#: Loader name to the code that loads ``path`` into ``loaded`` (a dict of arrays or tensors);
#: ``key``, when given, names the one entry to read (safe_open then reads only it). Its
#: ``import`` lines run before the measurement starts.
LOADERS = {
    "pickle.load": "import pickle\nwith open(path, 'rb') as f:\n    loaded = pickle.load(f)",
    "joblib.load": "import joblib\nloaded = joblib.load(path)",
    "joblib.load(mmap_mode='r')": "import joblib\nloaded = joblib.load(path, mmap_mode='r')",
    "torch.load": "import torch\nloaded = torch.load(path, weights_only=True)",
    "torch.load(mmap=True)": (
        "import torch\nloaded = torch.load(path, mmap=True, weights_only=True)"
    ),
    "safetensors.torch.load_file": (
        "import safetensors.torch\nloaded = safetensors.torch.load_file(path)"
    ),
    "safetensors safe_open": (
        "import safetensors, torch\n"
        "with safetensors.safe_open(path, framework='pt') as f:\n"
        "    loaded = {k: f.get_tensor(k) for k in ([key] if key else f.keys())}"
    ),
    "safetensors.numpy.load_file": (
        "import safetensors.numpy\nloaded = safetensors.numpy.load_file(path)"
    ),
}

# Imports happen before the first reading, so that the libraries' own memory is not counted.
_MEASURE = """
import json, sys, time
path, key, loader, status_file = sys.argv[1], sys.argv[2] or None, sys.argv[3], sys.argv[4]
exec(chr(10).join(line for line in loader.splitlines() if line.startswith("import ")))

def status():
    if not status_file:  # no Linux counters: the unique set size, and no split
        import psutil
        uss = psutil.Process().memory_full_info().uss / 2**20
        return {"RssAnon": uss, "RssFile": float("nan"), "VmHWM": float("nan")}
    fields = dict(line.split(":", 1) for line in open(status_file))
    return {k: int(fields[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile", "VmHWM")}

before = status()
started = time.perf_counter()
exec(loader)
chosen = [loaded[key]] if key else list(loaded.values())
total = float(sum(float(value.sum()) for value in chosen))  # read every byte we asked for
seconds = time.perf_counter() - started
after = status()
print(json.dumps({"seconds": seconds, "private_mb": after["RssAnon"] - before["RssAnon"],
                  "mapped_mb": after["RssFile"] - before["RssFile"],
                  "peak_mb": after["VmHWM"] - before["VmHWM"], "checksum": total}))
"""


def memory_split_available() -> bool:
    """Return whether this system tells a private copy from a file's mapped pages (Linux).

    Examples
    --------
    >>> import sys
    >>> memory_split_available() == sys.platform.startswith("linux")
    True
    """
    return _STATUS.is_file()


def describe_memory_columns() -> str:
    """Say what :func:`load_memory`'s memory columns measure on this system.

    Returns
    -------
    str
        One sentence: the Linux counters behind ``private_mb``, ``mapped_mb`` and ``peak_mb``,
        or, elsewhere, that ``private_mb`` is the USS and what it cannot show.

    Examples
    --------
    >>> describe_memory_columns().startswith(("On this system", "This system"))
    True
    """
    if memory_split_available():
        return (
            "On this system private_mb is the growth of private memory (RssAnon: copies), "
            "mapped_mb of the file pages mapped into the process (RssFile), peak_mb of the peak "
            "resident memory (VmHWM)."
        )
    return (
        "This system does not tell a private copy from a file's mapped pages (Linux does): "
        "private_mb is the growth of the process's unique set size (USS), which counts its "
        "copies and can also count the pages of a mapped file that no other process maps, so "
        "a mapped load may look like a copy; mapped_mb and peak_mb are not measured (NaN)."
    )


def load_memory(
    file: str | Path, loader: str, *, key: str | None = None, timeout: float = 120
) -> dict[str, float]:
    """Load a file in a fresh Python process and measure the time and memory it took.

    Parameters
    ----------
    file : str or pathlib.Path
        A file holding a dict of numpy arrays or torch tensors.
    loader : str
        A key of :data:`LOADERS`.
    key : str, default=None
        Read only this entry (``safetensors safe_open`` then reads only its bytes; the other
        loaders load everything and read this entry). None reads every entry.
    timeout : float, default=120
        Seconds to wait for the process.

    Returns
    -------
    dict
        ``seconds`` (load and read), ``private_mb`` (growth of private memory: copies),
        ``mapped_mb`` (growth of file pages mapped into the process), ``peak_mb`` (growth of
        the peak resident memory), ``checksum`` (the sum of what was read). Without Linux's
        counters (:func:`memory_split_available` is False): ``private_mb`` is the growth of
        the USS, which can also count a mapped file's pages that no other process maps, and
        ``mapped_mb`` and ``peak_mb`` are NaN.

    Raises
    ------
    ValueError
        If ``loader`` is not one of :data:`LOADERS`.
    RuntimeError
        If the loading process fails (its error output in the message).

    Examples
    --------
    >>> load_memory("big.safetensors", "safetensors safe_open", key="2.weight")  # doctest: +SKIP
    {'seconds': 0.01, 'private_mb': 0.1, 'mapped_mb': 68.3, 'peak_mb': 68.4, 'checksum': ...}
    """
    if loader not in LOADERS:
        raise ValueError(f"Unknown loader {loader!r}; choose one of {sorted(LOADERS)}.")
    status_file = str(_STATUS) if memory_split_available() else ""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(file), key or "", LOADERS[loader], status_file],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{loader} failed on {file}:\n{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def joblib_vs_pickle(arrays: Mapping[str, Any], folder: str | Path) -> pd.DataFrame:
    """Save a dict of numpy arrays with pickle and joblib, then load each file and measure.

    Parameters
    ----------
    arrays : mapping of str to numpy.ndarray
        What a model holds, e.g. its weight matrices.
    folder : str or pathlib.Path
        Where to write ``arrays.pkl``, ``arrays.joblib`` and ``arrays-compressed.joblib``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``pickle``, ``joblib``, ``joblib compress=3`` and ``joblib mmap_mode='r'``
        (the ``joblib`` file, memory-mapped): ``file``, ``size_mb``, ``save_s``, ``loader``
        and the columns of :func:`load_memory` (the load in a fresh process).

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> table = joblib_vs_pickle({"w": np.zeros((500, 500))}, tempfile.mkdtemp())
    >>> table["file"].tolist()
    ['arrays.pkl', 'arrays.joblib', 'arrays-compressed.joblib', 'arrays.joblib']
    >>> sizes = table["size_mb"]
    >>> bool(sizes["joblib compress=3"] < 0.1 < sizes["pickle"])
    True
    """
    import joblib

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = dict(arrays)
    saves = {
        "pickle": (
            folder / "arrays.pkl",
            lambda f: f.write_bytes(pickle.dumps(arrays, protocol=pickle.HIGHEST_PROTOCOL)),
            "pickle.load",
        ),
        "joblib": (folder / "arrays.joblib", lambda f: joblib.dump(arrays, f), "joblib.load"),
        "joblib compress=3": (
            folder / "arrays-compressed.joblib",
            lambda f: joblib.dump(arrays, f, compress=3),
            "joblib.load",
        ),
    }
    rows = {}
    for name, (file, save, loader) in saves.items():
        started = time.perf_counter()
        save(file)
        rows[name] = {
            "file": file.name,
            "size_mb": file.stat().st_size / 1e6,
            "save_s": time.perf_counter() - started,
            "loader": loader,
            **load_memory(file, loader),
        }
    rows["joblib mmap_mode='r'"] = {
        "file": "arrays.joblib",
        "size_mb": rows["joblib"]["size_mb"],
        "save_s": float("nan"),
        "loader": "joblib.load(mmap_mode='r')",
        **load_memory(folder / "arrays.joblib", "joblib.load(mmap_mode='r')"),
    }
    return pd.DataFrame.from_dict(rows, orient="index").drop(columns="checksum")


def weights_memory(
    torch_file: str | Path, safetensors_file: str | Path, *, tensor: str
) -> pd.DataFrame:
    """Measure how torch and safetensors (for torch and for numpy) load weights.

    Parameters
    ----------
    torch_file : str or pathlib.Path
        A ``state_dict`` saved with ``torch.save``.
    safetensors_file : str or pathlib.Path
        The same tensors saved with ``safetensors.torch.save_file``.
    tensor : str
        The one tensor to read in the second task.

    Returns
    -------
    pandas.DataFrame
        Indexed by loader: ``torch.load``, ``safetensors.torch.load_file`` and
        ``safetensors.numpy.load_file`` read all the tensors, ``safetensors safe_open`` the
        one ``tensor``; with ``task`` and the columns of :func:`load_memory`.

    Examples
    --------
    >>> weights_memory("big.pt", "big.safetensors", tensor="2.weight")  # doctest: +SKIP
    """
    cases = [
        ("torch.load", torch_file, None),
        ("safetensors.torch.load_file", safetensors_file, None),
        ("safetensors.numpy.load_file", safetensors_file, None),
        ("safetensors safe_open", safetensors_file, tensor),
    ]
    rows = [
        {
            "loader": loader,
            "task": f"one tensor ({key})" if key else "all tensors",
            **load_memory(file, loader, key=key),
        }
        for loader, file, key in cases
    ]
    return pd.DataFrame(rows).set_index("loader").drop(columns="checksum")
