"""Scaling: batching, workers, load tests, the framework's overhead and Dask batch scoring.

* :func:`describe_machine` (:func:`cpu_cores`, :func:`load_average`): the CPU cores this
  process may use and how busy the machine is, on Linux, macOS or Windows.
* :func:`latency_by_batch_size` / :func:`plot_batch_sizes`: the in-process cost per row of a
  model call at batch sizes 1 to 10,000 (scikit-learn pipeline against its ONNX twin).
* :func:`load_test` / :func:`plot_load_test`: Locust, headless in a subprocess, against a
  running server, in stages of concurrent users; requests per second, p50/p95/p99 latency,
  failures and the server's CPU time per request, plotted by users.
* :func:`serve_batching_demo` / :func:`records_per_call`: one BentoML worker serving a model
  behind an API declared ``batchable=True`` and one left at BentoML's default (``False``), and
  how many records each model call held at each load.
* :func:`compare_servers` / :func:`plot_servers`: the model service with adaptive batching on
  and off and with 1 or 2 workers, next to :func:`serve_bare`, the same model behind a bare
  Starlette app (the floor any Python HTTP service pays), all under the same load;
  :func:`add_run` and :func:`requests_per_second` add to and read that table.
* :func:`score_parquet`, :func:`compare_scoring`, :func:`make_scoring_dataset`: batch scoring
  with Dask distributed, the model package shipped to the workers through the cluster and the
  files read by path or URL; on a ``LocalCluster`` (:func:`local_cluster`), on ``dask
  scheduler`` / ``dask worker`` processes (:func:`dask_cluster`, with :func:`serve_folder` to
  serve the files over HTTP), or on a real cluster; :func:`scoring_table` sets the runs beside
  a plain loop.

Beyond one machine, serving scales out the same way workers scale up: replicas of the service
behind a load balancer (a Kubernetes Deployment and Service with an autoscaler, or BentoCloud's
autoscaled replicas). The workshop explains these; it runs only what fits on a laptop.

Examples
--------
>>> from prodml_workshop.scaling import load_test, penguin_payload
>>> from prodml_workshop.serving import serve
>>> with serve() as server:  # doctest: +SKIP
...     load_test(server.url, users=(1, 8, 32), duration=2, payload=penguin_payload())
"""

from .bare_app import BareServer, create_app, serve_bare
from .batch_size import BATCH_SIZES, latency_by_batch_size, plot_batch_sizes
from .batching_demo import BatchingServer, records_per_call, serve_batching_demo
from .compare_servers import (
    BARE_APP,
    SERVICE,
    add_run,
    compare_servers,
    penguin_payload,
    plot_servers,
    requests_per_second,
)
from .dask_cluster import FolderServer, dask_cluster, serve_folder
from .dask_scoring import ScoringResult, local_cluster, score_in_process, score_parquet
from .load_testing import LoadTestError, load_test, plot_load_test
from .machine import cpu_cores, describe_machine, load_average
from .scoring_dataset import make_scoring_dataset
from .scoring_report import compare_scoring, scoring_table

__all__ = [
    "BARE_APP",
    "BATCH_SIZES",
    "SERVICE",
    "BareServer",
    "BatchingServer",
    "FolderServer",
    "LoadTestError",
    "ScoringResult",
    "add_run",
    "compare_scoring",
    "compare_servers",
    "cpu_cores",
    "create_app",
    "dask_cluster",
    "describe_machine",
    "latency_by_batch_size",
    "load_average",
    "load_test",
    "local_cluster",
    "make_scoring_dataset",
    "penguin_payload",
    "plot_batch_sizes",
    "plot_load_test",
    "plot_servers",
    "records_per_call",
    "requests_per_second",
    "score_in_process",
    "score_parquet",
    "scoring_table",
    "serve_bare",
    "serve_batching_demo",
    "serve_folder",
]
