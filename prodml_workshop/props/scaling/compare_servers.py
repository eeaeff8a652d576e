"""Same model, same load: adaptive batching on and off, 1 or 2 workers, and a bare app as floor.

:func:`compare_servers` starts each configuration in turn, load-tests it with
:func:`~prodml_workshop.scaling.load_test` and stops it, and returns one row per
configuration; :func:`add_run` adds a load test measured separately to that table,
:func:`requests_per_second` reads one configuration's throughput from it, and
:func:`plot_servers` draws it.

When adaptive batching helps. An API batches only when declared
``@bentoml.api(batchable=True)`` (BentoML's default is ``False``); the workshop's service
declares it, and ``serve(batching=False)`` leaves it off. BentoML then holds the requests
that arrive together (up to ``max_batch_size`` records, waiting at most what its latency
model allows) and makes *one* model call for all of them. That pays when a call has a large
fixed cost next to its cost per row, as a scikit-learn pipeline on one row has (a millisecond
or more of checks and per-step dispatch) or a neural network on a GPU, *and* when there are
concurrent requests to merge.
It does not help (and adds a little waiting) when the call is cheap next to the HTTP and
validation work around it (an ONNX graph or a linear model on a numeric array), when clients
already send large batches, or when traffic is low: a lone sequential client never has
company to batch with.

Workers. Each worker is a process with its own copy of the model, so workers use more CPU
cores; they cannot use cores the machine lacks. On a 2-core laptop the load generator needs
one of them, so a second worker competes with it: what it buys depends on the free cores
(notebook 03 measures it on its machine). In production the same idea scales
out: on Kubernetes a Deployment runs N replicas (pods, each with its own workers) behind a
Service that spreads the requests, and a HorizontalPodAutoscaler adds replicas when CPU use
climbs (once the cluster runs metrics-server, an add-on), or request concurrency (a custom
metric: it needs a custom-metrics adapter, e.g. Prometheus Adapter, or KEDA); on BentoCloud
the ``workers`` setting applies per replica and the platform's autoscaler adds or removes
replicas. Neither is run here; both multiply the single-machine numbers measured here, minus
the load balancer's cost.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from prodml_workshop.scaling import load_test, penguin_payload

from .bare_app import serve_bare

__all__ = [
    "BARE_APP",
    "SERVICE",
    "add_run",
    "compare_servers",
    "plot_servers",
    "requests_per_second",
]

#: The ``server`` of the model service's rows, and of the bare app's.
SERVICE, BARE_APP = "BentoML service", "bare Starlette"
_CONFIGURATION = ["server", "workers", "batching"]


def compare_servers(
    model_dir: str | Path | None = None,
    *,
    users: int = 32,
    duration: int = 6,
    workers: Sequence[int] = (1, 2),
    batching: Sequence[bool] = (True, False),
    bare: bool | Sequence[int] = True,
    payload: Any = None,
    warmup: float = 1.0,
    progress: bool = True,
    log_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Load-test the model service in each configuration, and the bare app, under one load.

    Parameters
    ----------
    model_dir : str or pathlib.Path, default=None
        The model package served by all of them; the default penguin model when ``None``.
    users : int, default=32
        Concurrent clients of every load test.
    duration : int, default=6
        Seconds of every load test.
    workers : sequence of int, default=(1, 2)
        Worker processes to try.
    batching : sequence of bool, default=(True, False)
        Adaptive batching on, off, or both.
    bare : bool or sequence of int, default=True
        Also test the bare Starlette app (:mod:`.bare_app`): with each number of ``workers``
        when ``True``, with these numbers of workers when a sequence. ``workers=(1,),
        bare=(1, 2)`` tries 2 workers on the bare app only (the lighter server, for a machine
        short of memory).
    payload : object, default=None
        The JSON body of every request; one penguin record (:func:`penguin_payload`) when
        ``None``.
    warmup : float, default=1.0
        Seconds at the start of each test left out of the throughput and latencies.
    progress : bool, default=True
        Show each load test's progress bar.
    log_dir : str or pathlib.Path, default=None
        Keep each service's prediction log in this folder, as
        ``log-<workers>-<batching>.sqlite`` (read them with
        :func:`~prodml_workshop.serving.read_log`); in a temporary folder, deleted, when
        ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per configuration, in the order tested (for each number of workers, the
        bare app first, then the service in the order of ``batching``): ``server``
        (``"bare Starlette"`` or ``"BentoML service"``), ``workers``, ``batching`` (``None``
        for the bare app) and the columns of :func:`~prodml_workshop.scaling.load_test`
        (``rps``, ``p50_ms``, ``p95_ms``, ``p99_ms``, ``failures``, ...).

    Raises
    ------
    prodml_workshop.serving.ServerStartError
        If the service does not start.

    Examples
    --------
    >>> table = compare_servers(users=32, duration=6)  # doctest: +SKIP
    >>> table[["server", "workers", "batching", "rps", "p95_ms", "failures"]]  # doctest: +SKIP
    """
    from prodml_workshop.serving import serve

    payload = penguin_payload() if payload is None else payload
    options = {"users": users, "duration": duration, "payload": payload, "warmup": warmup,
               "progress": progress}  # fmt: skip
    bare_workers = tuple(workers if bare is True else bare or ())
    rows = []
    with tempfile.TemporaryDirectory(prefix="prodml-compare-") as temporary:
        folder = Path(log_dir or temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for n_workers in dict.fromkeys([*workers, *bare_workers]):
            if n_workers in bare_workers:
                with serve_bare(model_dir, workers=n_workers) as server:
                    stats = load_test(server.url, **options)
                rows.append(_labelled(stats, BARE_APP, n_workers, None))
            for batched in batching if n_workers in workers else ():
                log_db = folder / f"log-{n_workers}-{batched}.sqlite"
                with serve(model_dir, workers=n_workers, batching=batched, log_db=log_db) as server:
                    stats = load_test(server.url, **options)
                rows.append(_labelled(stats, SERVICE, n_workers, batched))
    return pd.concat(rows, ignore_index=True)


def _labelled(
    stats: pd.DataFrame, server: str, workers: int, batching: bool | None
) -> pd.DataFrame:
    labelled = stats.assign(server=server, workers=workers, batching=batching)
    return labelled[_CONFIGURATION + [c for c in stats.columns if c not in _CONFIGURATION]]


def add_run(
    table: pd.DataFrame,
    run: pd.DataFrame,
    *,
    server: str = SERVICE,
    workers: int = 1,
    batching: bool | None = True,
) -> pd.DataFrame:
    """Add a load test measured on its own to a table of :func:`compare_servers`.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`compare_servers`.
    run : pandas.DataFrame
        What :func:`~prodml_workshop.scaling.load_test` returned for that server.
    server : str, default="BentoML service"
        The server tested: :data:`SERVICE` or :data:`BARE_APP`.
    workers : int, default=1
        Its worker processes.
    batching : bool or None, default=True
        Whether the service batched requests; ``None`` for the bare app.

    Returns
    -------
    pandas.DataFrame
        A new table with the run's rows, by number of workers, the bare app first, then the
        service with batching on, then off.

    Raises
    ------
    ValueError
        If ``run`` lacks a column of ``table``.

    Examples
    --------
    >>> table = pd.DataFrame({"server": [BARE_APP], "workers": [1], "batching": [None],
    ...                       "rps": [220.0]})
    >>> add_run(table, pd.DataFrame({"rps": [577.0]}), batching=True)
                server  workers batching    rps
    0   bare Starlette        1     None  220.0
    1  BentoML service        1     True  577.0
    """
    labelled = _labelled(run, server, workers, batching)
    missing = [c for c in table.columns if c not in labelled.columns]
    if missing:
        raise ValueError(
            f"The run lacks the columns {missing} of the table: pass what load_test returned."
        )
    combined = pd.concat([table, labelled[table.columns]], ignore_index=True)
    order = pd.DataFrame(
        {
            "workers": combined["workers"],
            "service": combined["server"] != BARE_APP,
            "off": combined["batching"].eq(False),
        }
    )
    return combined.loc[order.sort_values(list(order.columns), kind="stable").index].reset_index(
        drop=True
    )


def _describe(server: str, workers: int, batching: bool | None) -> str:
    if server == BARE_APP:
        return f"bare Starlette, {workers} worker(s)"
    return f"BentoML, batching {'on' if batching else 'off'}, {workers} worker(s)"


def requests_per_second(
    table: pd.DataFrame, server: str, *, workers: int = 1, batching: bool | None = None
) -> float:
    """Return the requests per second of one configuration in a table of :func:`compare_servers`.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`compare_servers` (with :func:`add_run`'s rows).
    server : str
        :data:`SERVICE` (``"BentoML service"``) or :data:`BARE_APP` (``"bare Starlette"``).
    workers : int, default=1
        Its worker processes.
    batching : bool or None, default=None
        Whether the service batched requests; ``None`` for the bare app.

    Returns
    -------
    float
        The ``rps`` of that configuration's row.

    Raises
    ------
    ValueError
        If the table holds no row, or several rows, of that configuration; the message lists
        the configurations it holds.

    Examples
    --------
    >>> table = pd.DataFrame({"server": [BARE_APP, SERVICE, SERVICE], "workers": [1, 1, 1],
    ...                       "batching": [None, True, False], "rps": [220.0, 577.0, 123.0]})
    >>> requests_per_second(table, SERVICE, batching=True)
    577.0
    >>> requests_per_second(table, BARE_APP)
    220.0
    """
    same_batching = table["batching"].isna() if batching is None else table["batching"].eq(batching)
    rows = table[(table["server"] == server) & (table["workers"] == workers) & same_batching]
    if len(rows) != 1:
        held = "; ".join(_describe(*row) for row in table[_CONFIGURATION].itertuples(index=False))
        raise ValueError(
            f"The table holds {len(rows)} runs of {_describe(server, workers, batching)}, "
            f"not one; it holds: {held}."
        )
    return float(rows["rps"].iloc[0])


def plot_servers(table: pd.DataFrame, ax: Any = None) -> Any:
    """Draw requests per second of each configuration, with its p95 latency written on the bar.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`compare_servers`.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
        The plot.

    Examples
    --------
    >>> plot_servers(compare_servers())  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.5 + 0.5 * len(table)))
    labels = [_describe(*row) for row in table[_CONFIGURATION].itertuples(index=False)]
    colors = ["tab:gray" if s == BARE_APP else "tab:blue" for s in table["server"]]
    bars = ax.barh(labels, table["rps"], color=colors)
    ax.bar_label(bars, labels=[f"p95 {p:.0f} ms" for p in table["p95_ms"]], padding=3)
    ax.invert_yaxis()
    ax.set(xlabel=f"requests per second ({table['users'].iloc[0]} concurrent users)")
    ax.margins(x=0.25)
    return ax
