"""Beyond one machine: score Parquet files with Dask distributed, the model shipped to the workers.

Batch scoring does not need a server: a million rows split into Parquet files (partitions of
about 100,000 rows) are scored by a pool of worker processes, one file per task. The model
package travels through the cluster, as bytes: zipped by the client, sent to every worker
once, unpacked in the worker's own temporary folder and loaded there, then kept (a cache in
this module, keyed by the package's SHA-256), so the model is loaded once per worker, not once
per partition. A worker that joins later gets the bytes from the cluster's memory (a scattered
copy) at its first task. The data is read by each worker from where it lives: a local path
for a cluster on this machine, or a URL any worker can read (``http://``, ``s3://``,
``gs://``...: fsspec opens them). Only the predictions travel back to the client.

So the same call works on a ``LocalCluster`` (:func:`local_cluster`), on processes started
with the ``dask scheduler`` / ``dask worker`` commands
(:func:`~prodml_workshop.props.scaling.dask_cluster`), or on a cluster of machines (given its
scheduler's address, e.g. one started by the Dask Kubernetes operator or Dask Gateway), as
long as every worker has this package and the model's libraries installed (the same image).
The workers run one thread each, so that the Python parts of a pipeline (input checks, each
step's dispatch, pandas) do not take turns on one interpreter lock; NumPy and onnxruntime
release that lock inside their own loops, so threads would share those.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ScoringResult",
    "local_cluster",
    "score_in_process",
    "score_parquet",
]

#: Rows predicted by every process before the timed scoring.
_WARMUP_ROWS = 100
_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ScoringResult:
    """What a scoring run produced and how long it took.

    Attributes
    ----------
    predictions : pandas.Series
        One prediction per input row, in the order of the files (sorted by name) and rows.
        Class labels that are text come as a categorical Series: one byte a row, where Python
        strings would cost about 60 (18 MB for 300,000 penguins, kept as long as the result).
    seconds : float
        Wall time of the scoring itself: reading the files, predicting, gathering the results.
        Starting the cluster and preparing the workers are not included (``setup_seconds``).
    setup_seconds : float
        Wall time spent preparing every process before the scoring: loading the model and
        predicting a few rows of the first file (first calls pay for lazy imports and first
        allocations).
    n_workers : int
        Processes that scored (1 for the single-process loop).
    n_partitions : int
        Parquet files scored.
    model_loads : int
        How many times the model package was loaded, in all processes.
    dashboard_link : str or None
        The Dask dashboard's address (``None`` for the loop). A ``LocalCluster`` is closed
        when the call returns; to watch the dashboard while scoring, pass your own client
        (see :func:`local_cluster`). The dashboard needs the ``bokeh`` package.
    """

    predictions: pd.Series
    seconds: float
    setup_seconds: float
    n_workers: int
    n_partitions: int
    model_loads: int
    dashboard_link: str | None

    @property
    def rows_per_s(self) -> float:
        """Rows scored per second."""
        return len(self.predictions) / self.seconds


def _predictions(parts: Sequence[np.ndarray]) -> pd.Series:
    """Every file's predictions in one Series; text labels as a categorical."""
    values = np.concatenate(parts)
    if values.dtype.kind in "OUS":
        return pd.Series(pd.Categorical(values), name="prediction")
    return pd.Series(values, name="prediction")


def _partitions(data: str | Path | Sequence[str | Path]) -> list[str]:
    if isinstance(data, str | Path) and "://" not in str(data):
        files = sorted(str(p) for p in Path(data).glob("*.parquet"))
        if not files:
            raise FileNotFoundError(
                f"No .parquet files in {data}; write some with make_scoring_dataset()."
            )
        return files
    files = [str(data)] if isinstance(data, str | Path) else [str(f) for f in data]
    if not files:
        raise FileNotFoundError("No files to score: pass a folder, or a list of paths or URLs.")
    return files


def _read(source: str) -> pd.DataFrame:
    """Read one Parquet file from a path or any URL fsspec opens (http://, s3://, ...)."""
    import fsspec

    with fsspec.open(source, "rb") as file:
        return pd.read_parquet(io.BytesIO(file.read()))


@dataclass(frozen=True)
class _Package:
    key: str
    data: bytes


def _pack(model_dir: str | Path) -> _Package:
    folder = Path(model_dir)
    if not (folder / "manifest.json").is_file():
        raise FileNotFoundError(
            f"{folder} is not a model package (no manifest.json); pass a folder written by "
            "save_model."
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    data = buffer.getvalue()
    return _Package(hashlib.sha256(data).hexdigest(), data)


def _cached_model(key: str, data: bytes) -> tuple[Any, bool]:
    """Return this process's copy of the model, unpacking and loading it on first use."""
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key], False
        from prodml_workshop.packaging import load_model

        # in the worker's own folder (Dask removes it when the worker stops): some formats
        # read their files after loading
        folder = tempfile.mkdtemp(prefix=f"package-{key[:12]}-", dir=_local_directory())
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(folder)
        _MODELS[key] = load_model(folder)
        return _MODELS[key], True


def _local_directory() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except ValueError:  # not in a Dask worker
        return None


def _warm_up(model: Any, first_file: str) -> None:
    # first calls are slow (lazy imports, first allocations): pay them before the clock starts
    model.predict(_read(first_file).head(_WARMUP_ROWS))


def _prepare_worker(key: str, data: bytes, first_file: str) -> bool:
    model, loaded = _cached_model(key, data)
    _warm_up(model, first_file)
    return loaded


def _score_file(source: str, package_key: str, package: bytes) -> tuple[np.ndarray, bool]:
    model, loaded = _cached_model(package_key, package)
    return model.predict(_read(source)), loaded


@contextlib.contextmanager
def local_cluster(n_workers: int = 2, *, memory_limit: str = "1GiB") -> Iterator[Any]:
    """Start a ``LocalCluster`` of processes with one thread each; close it on exit.

    Its workers keep glibc's default memory trimming: Dask's nanny would otherwise set
    ``MALLOC_TRIM_THRESHOLD_=65536`` (so that memory is returned to the system at once, which
    keeps its memory reports honest), and with it the penguin pipeline predicts about 1.7x
    slower, its temporary arrays costing fresh pages at every call. A real cluster's workers
    run with the settings their administrator chose.

    Parameters
    ----------
    n_workers : int, default=2
        Worker processes (one per CPU core is the useful maximum).
    memory_limit : str, default="1GiB"
        Memory per worker, a ceiling (not a reservation): Dask pauses a worker at 80% of it
        and restarts it at 95%. A worker that scored three 100,000-row partitions with the
        skops penguin package held about 310 MiB (RSS), which fits Binder's 2 GB with two
        workers and a kernel.

    Yields
    ------
    distributed.Client
        A client of the cluster; ``client.dashboard_link`` is its dashboard (through
        jupyter-server-proxy when running on JupyterHub/Binder).

    Examples
    --------
    >>> with local_cluster(2) as client:  # doctest: +SKIP
    ...     print(client.dashboard_link)
    ...     result = score_parquet(model_dir, "data/penguins-1m", client=client)
    """
    import dask
    from distributed import Client, LocalCluster

    # glibc's own trimming: Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers,
    # which makes the pipeline's many temporary arrays cost fresh pages (measured ~1.7x slower)
    config: dict[str, Any] = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:  # on JupyterHub/Binder the dashboard is reached through jupyter-server-proxy
        config["distributed.dashboard.link"] = f"{prefix.rstrip('/')}/proxy/{{port}}/status"
    with (
        dask.config.set(config),
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(n_workers)
        yield client


#: Longest wait for a scoring job's results: past it, the call raises TimeoutError.
_SCORING_TIMEOUT_S = 600


def _score_with(
    client: Any, package: _Package, files: list[str], workers: Sequence[str] | None
) -> ScoringResult:
    from distributed import wait

    start = time.perf_counter()
    # the package's bytes go to each worker through the cluster: no path of this machine
    loaded = client.run(_prepare_worker, package.key, package.data, files[0], workers=workers)
    setup_seconds = time.perf_counter() - start
    start = time.perf_counter()
    # for late joiners; a key of its own each call (hash=False): re-scattering the key a previous
    # call just released trips the scheduler (distributed 2026.8: `assert ts.priority`)
    shipped = client.scatter(package.data, broadcast=True, workers=workers, hash=False)
    futures = client.map(_score_file, files, package_key=package.key, package=shipped, pure=False,
                         workers=workers, allow_other_workers=False)  # fmt: skip
    wait(futures, timeout=_SCORING_TIMEOUT_S)  # a lost worker fails the call instead of hanging it
    results = client.gather(futures)
    predictions = _predictions([labels for labels, _ in results])
    seconds = time.perf_counter() - start
    shipped.release()
    return ScoringResult(
        predictions=predictions,
        seconds=seconds,
        setup_seconds=setup_seconds,
        n_workers=len(loaded),
        n_partitions=len(files),
        model_loads=sum(loaded.values()) + sum(now for _, now in results),
        dashboard_link=client.dashboard_link,
    )


def score_parquet(
    model_dir: str | Path,
    parquet_dir: str | Path | Sequence[str | Path],
    *,
    client: Any = None,
    scheduler_address: str | None = None,
    workers: Sequence[str] | None = None,
    n_workers: int = 2,
    memory_limit: str = "1GiB",
) -> ScoringResult:
    """Score Parquet files with a model package, on a Dask cluster.

    One task per file: read it, predict with the worker's copy of the model, send the
    predictions back. The package is sent to the workers through the cluster and loaded
    once per worker; each worker reads its files itself.

    Parameters
    ----------
    model_dir : str or pathlib.Path
        A model package (see :func:`~prodml_workshop.packaging.save_model`) that loads
        without ``trusted=True`` (e.g. skops or ONNX). Only this process reads it.
    parquet_dir : str, pathlib.Path or sequence of str
        A folder of ``.parquet`` files the workers can read (on this machine), or the
        files' paths or URLs, e.g. ``["http://10.0.0.2:8000/part-00000.parquet", ...]`` or
        ``["s3://bucket/part-00000.parquet", ...]``; scored in this order.
    client : distributed.Client, default=None
        Use this client's cluster (left running). Takes precedence over the next options.
    scheduler_address : str, default=None
        Connect to a running scheduler, e.g. ``"tcp://10.0.0.5:8786"`` (a multi-machine
        cluster); the client made is closed on return, the cluster is not.
    workers : sequence of str, default=None
        Addresses of the workers to use (all when ``None``), e.g. one of them to compare
        one worker with all on the same cluster.
    n_workers : int, default=2
        Without ``client`` or ``scheduler_address``: the workers of the ``LocalCluster``
        started for this call and closed when it returns.
    memory_limit : str, default="1GiB"
        Memory per worker of that ``LocalCluster``.

    Returns
    -------
    ScoringResult
        The predictions in file and row order, the time taken, the number of workers and of
        model loads, and the dashboard link.

    Raises
    ------
    FileNotFoundError
        If ``parquet_dir`` holds no Parquet file, or ``model_dir`` is not a model package.

    Examples
    --------
    >>> folder = make_scoring_dataset("data/penguins-1m")  # doctest: +SKIP
    >>> result = score_parquet(model_dir, folder, n_workers=2)  # doctest: +SKIP
    >>> result.predictions.value_counts(), result.seconds, result.model_loads  # doctest: +SKIP
    """
    files = _partitions(parquet_dir)
    package = _pack(model_dir)
    workers = list(workers) if workers is not None else None
    if client is not None:
        return _score_with(client, package, files, workers)
    if scheduler_address is not None:
        from distributed import Client

        with Client(scheduler_address) as remote:
            return _score_with(remote, package, files, workers)
    with local_cluster(n_workers, memory_limit=memory_limit) as local:
        return _score_with(local, package, files, workers)


def score_in_process(
    model_dir: str | Path, parquet_dir: str | Path | Sequence[str | Path]
) -> ScoringResult:
    """Score Parquet files with a plain loop in this process: the baseline.

    Parameters
    ----------
    model_dir : str or pathlib.Path
        A model package.
    parquet_dir : str, pathlib.Path or sequence of str
        A folder of ``.parquet`` files, or the files' paths or URLs.

    Returns
    -------
    ScoringResult
        As :func:`score_parquet`'s, with ``n_workers=1`` and no dashboard.

    Raises
    ------
    FileNotFoundError
        If ``parquet_dir`` holds no Parquet file.

    Examples
    --------
    >>> score_in_process(model_dir, "data/penguins-1m").seconds  # doctest: +SKIP
    """
    from prodml_workshop.packaging import load_model

    files = _partitions(parquet_dir)
    start = time.perf_counter()
    model = load_model(model_dir)
    _warm_up(model, files[0])
    setup_seconds = time.perf_counter() - start
    start = time.perf_counter()
    labels = [model.predict(_read(file)) for file in files]
    predictions = _predictions(labels)
    return ScoringResult(
        predictions=predictions,
        seconds=time.perf_counter() - start,
        setup_seconds=setup_seconds,
        n_workers=1,
        n_partitions=len(files),
        model_loads=1,
        dashboard_link=None,
    )
