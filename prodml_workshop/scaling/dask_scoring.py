"""Beyond one machine: score a folder of Parquet files with Dask distributed.

Batch scoring does not need a server: a million rows split into Parquet files (partitions of
about 100,000 rows) are scored by a pool of worker processes, one file per task. Each worker
loads the model package once and keeps it (a cache in this module, filled on every worker by
``client.run`` before the clock starts, and by a worker's first task if it joins later), so
the model is loaded once per worker, not once per partition. Only the predictions travel
back to the client; the rows never leave the workers.

On a laptop :func:`score_parquet` starts a ``LocalCluster`` (processes, one thread each: the
model holds the GIL) and closes it when it returns. Given the address of a running scheduler
(``scheduler_address="tcp://scheduler:8786"``, e.g. one started by the Dask Kubernetes
operator, Dask Gateway or ``dask scheduler`` / ``dask worker`` on a few machines) the same
call runs there unchanged, provided every worker has this package and the model's libraries
installed (the same image) and sees the model package and the Parquet folder at the same path
(a shared volume). The cluster is then not ours: only the client is closed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ScoringResult",
    "local_cluster",
    "make_scoring_dataset",
    "score_in_process",
    "score_parquet",
]

#: Relative noise added to each numeric feature when resampling penguins.
_JITTER = 0.03
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


def make_scoring_dataset(
    path: str | Path,
    n_rows: int = 1_000_000,
    *,
    n_partitions: int = 10,
    seed: int = 0,
) -> Path:
    """Write a large penguin-like dataset as Parquet files, to be scored in batch.

    Rows are drawn with replacement from the Palmer penguins, and every numeric feature is
    moved by a small Gaussian jitter (3% of its standard deviation) and rounded as in the
    original data, so rows are new but realistic. Missing values stay missing, at the rate of
    the real data.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder, created if needed; files ``part-00000.parquet``, ... are written in it.
        Existing ``part-*.parquet`` files there are removed first.
    n_rows : int, default=1_000_000
        Rows in all.
    n_partitions : int, default=10
        Files; each holds ``n_rows / n_partitions`` rows (100,000 by default).
    seed : int, default=0
        Seed of the sampling and the jitter.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    ValueError
        If ``n_partitions`` is not between 1 and ``n_rows``.

    Examples
    --------
    >>> folder = make_scoring_dataset("penguins", 1_000, n_partitions=4)  # doctest: +SKIP
    >>> sorted(p.name for p in folder.iterdir())[0]  # doctest: +SKIP
    'part-00000.parquet'
    """
    from prodml_workshop.data import PENGUIN_FEATURES, load_penguins

    if not 1 <= n_partitions <= n_rows:
        raise ValueError(f"n_partitions must be between 1 and n_rows, got {n_partitions}.")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    penguins = load_penguins()[PENGUIN_FEATURES]
    numeric = penguins.select_dtypes("number").columns
    scale = penguins[numeric].std() * _JITTER
    decimals = {"bill_length_mm": 1, "bill_depth_mm": 1, "flipper_length_mm": 0, "body_mass_g": 0}
    rng = np.random.default_rng(seed)
    for i, rows in enumerate(np.array_split(np.arange(n_rows), n_partitions)):
        part = penguins.iloc[rng.integers(0, len(penguins), size=len(rows))].reset_index(drop=True)
        noise = rng.normal(size=(len(part), len(numeric))) * scale.to_numpy()
        part[numeric] = (part[numeric] + noise).round(decimals)
        part.to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    return folder


def _partitions(parquet_dir: str | Path) -> list[str]:
    files = sorted(str(p) for p in Path(parquet_dir).glob("*.parquet"))
    if not files:
        raise FileNotFoundError(
            f"No .parquet files in {parquet_dir}; write some with make_scoring_dataset()."
        )
    return files


def _cached_model(model_dir: str) -> tuple[Any, bool]:
    """Return this process's copy of the model, loading it on first use, and whether it did."""
    # a package saved again at the same path has a new manifest, hence a new key
    key = f"{model_dir}@{os.stat(Path(model_dir) / 'manifest.json').st_mtime_ns}"
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key], False
        from prodml_workshop.packaging import load_model

        _MODELS[key] = load_model(model_dir)
        return _MODELS[key], True


def _warm_up(model: Any, first_file: str) -> None:
    # first calls are slow (lazy imports, first allocations): pay them before the clock starts
    model.predict(pd.read_parquet(first_file).head(_WARMUP_ROWS))


def _prepare_worker(model_dir: str, first_file: str) -> bool:
    model, loaded = _cached_model(model_dir)
    _warm_up(model, first_file)
    return loaded


def _score_file(path: str, model_dir: str) -> tuple[np.ndarray, bool]:
    model, loaded = _cached_model(model_dir)
    return model.predict(pd.read_parquet(path)), loaded


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
        and restarts it at 95%. A worker scoring the skops penguin package uses about
        500 MiB (loading skops imports torch), plus about 100 MiB per 100,000-row partition
        in flight, which fits Binder's 2 GB with two workers and a kernel.

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


def _score_with(client: Any, model_dir: str, files: list[str]) -> ScoringResult:
    start = time.perf_counter()
    loaded = client.run(_prepare_worker, model_dir, files[0])
    setup_seconds = time.perf_counter() - start
    start = time.perf_counter()
    futures = client.map(_score_file, files, model_dir=model_dir, pure=False)
    results = client.gather(futures)
    predictions = pd.Series(np.concatenate([labels for labels, _ in results]), name="prediction")
    seconds = time.perf_counter() - start
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
    parquet_dir: str | Path,
    *,
    client: Any = None,
    scheduler_address: str | None = None,
    n_workers: int = 2,
    memory_limit: str = "1GiB",
) -> ScoringResult:
    """Score every Parquet file of a folder with a model package, on a Dask cluster.

    One task per file: read it, predict with the worker's copy of the model, send the
    predictions back. The model is loaded once per worker.

    Parameters
    ----------
    model_dir : str or pathlib.Path
        A model package (see :func:`~prodml_workshop.packaging.save_model`) that loads
        without ``trusted=True`` (e.g. skops or ONNX).
    parquet_dir : str or pathlib.Path
        A folder of ``.parquet`` files holding the model's input columns.
    client : distributed.Client, default=None
        Use this client's cluster (left running). Takes precedence over the next options.
    scheduler_address : str, default=None
        Connect to a running scheduler, e.g. ``"tcp://10.0.0.5:8786"`` (a multi-machine
        cluster); the client made is closed on return, the cluster is not.
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
        If ``parquet_dir`` holds no Parquet file.

    Examples
    --------
    >>> folder = make_scoring_dataset("data/penguins-1m")  # doctest: +SKIP
    >>> result = score_parquet(model_dir, folder, n_workers=2)  # doctest: +SKIP
    >>> result.predictions.value_counts(), result.seconds, result.model_loads  # doctest: +SKIP
    """
    files = _partitions(parquet_dir)
    model_dir = str(Path(model_dir).resolve())
    if client is not None:
        return _score_with(client, model_dir, files)
    if scheduler_address is not None:
        from distributed import Client

        with Client(scheduler_address) as remote:
            return _score_with(remote, model_dir, files)
    with local_cluster(n_workers, memory_limit=memory_limit) as local:
        return _score_with(local, model_dir, files)


def score_in_process(model_dir: str | Path, parquet_dir: str | Path) -> ScoringResult:
    """Score every Parquet file of a folder with a plain loop in this process: the baseline.

    Parameters
    ----------
    model_dir : str or pathlib.Path
        A model package.
    parquet_dir : str or pathlib.Path
        A folder of ``.parquet`` files.

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
    labels = [model.predict(pd.read_parquet(file)) for file in files]
    predictions = pd.Series(np.concatenate(labels), name="prediction")
    return ScoringResult(
        predictions=predictions,
        seconds=time.perf_counter() - start,
        setup_seconds=setup_seconds,
        n_workers=1,
        n_partitions=len(files),
        model_loads=1,
        dashboard_link=None,
    )
