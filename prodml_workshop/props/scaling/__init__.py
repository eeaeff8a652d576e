"""The scaling lecture's props: batch sizes, the batching demo, servers compared, a Dask cluster.

* :func:`latency_by_batch_size` / :func:`plot_batch_sizes`: the in-process cost per row of a
  model call at batch sizes 1 to 10,000 (scikit-learn pipeline against its ONNX twin).
* :func:`serve_batching_demo` / :func:`records_per_call`: one BentoML worker serving a model
  behind an API declared ``batchable=True`` and one left at BentoML's default (``False``), and
  how many records each model call held at each load.
* :func:`compare_servers` / :func:`plot_servers`: the model service with adaptive batching on
  and off and with 1 or 2 workers, next to :func:`serve_bare`, the same model behind a bare
  Starlette app (the floor any Python HTTP service pays), all under the same load;
  :func:`add_run` and :func:`requests_per_second` add to and read that table.
* :func:`dask_cluster` runs ``dask scheduler`` / ``dask worker`` processes, with
  :func:`serve_folder` to serve files over HTTP; :func:`make_scoring_dataset` writes the
  penguins to score, and :func:`compare_scoring` / :func:`scoring_table` set the runs of
  :func:`~prodml_workshop.scaling.score_parquet` beside a plain loop.
* :func:`serve_replicas` serves one package as two replicas on loopback, behind nginx
  (:func:`balancer`) when it is installed, writing one log: :func:`shared_log` gives a
  throwaway PostgreSQL database (:func:`local_postgres`, which the tests' clusters use too)
  where :func:`postgres_available`, else a SQLite file.
"""

from .balancer import Balancer, balancer, nginx_available
from .bare_app import BareServer, create_app, serve_bare
from .batch_size import BATCH_SIZES, latency_by_batch_size, plot_batch_sizes
from .batching_demo import BatchingServer, records_per_call, serve_batching_demo
from .compare_servers import (
    BARE_APP,
    SERVICE,
    add_run,
    compare_servers,
    plot_servers,
    requests_per_second,
)
from .dask_cluster import FolderServer, dask_cluster, serve_folder
from .local_postgres import LocalPostgres, local_postgres, postgres_available
from .replicas import Replicas, serve_replicas, shared_log
from .scoring_dataset import make_scoring_dataset
from .scoring_report import compare_scoring, scoring_table

__all__ = [
    "BARE_APP",
    "BATCH_SIZES",
    "SERVICE",
    "Balancer",
    "BareServer",
    "BatchingServer",
    "FolderServer",
    "LocalPostgres",
    "Replicas",
    "add_run",
    "balancer",
    "compare_scoring",
    "compare_servers",
    "create_app",
    "dask_cluster",
    "latency_by_batch_size",
    "local_postgres",
    "make_scoring_dataset",
    "nginx_available",
    "plot_batch_sizes",
    "plot_servers",
    "postgres_available",
    "records_per_call",
    "requests_per_second",
    "scoring_table",
    "serve_bare",
    "serve_batching_demo",
    "serve_folder",
    "serve_replicas",
    "shared_log",
]
