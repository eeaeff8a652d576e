"""Scaling: load tests, the machine behind a number, and batch scoring with Dask.

* :func:`describe_machine` (:func:`cpu_cores`, :func:`load_average`): the CPU cores this
  process may use and how busy the machine is, on Linux, macOS or Windows.
* :func:`load_test` / :func:`plot_load_test`: Locust, headless in a subprocess, against a
  running server, in stages of concurrent users; requests per second, p50/p95/p99 latency,
  failures and the server's CPU time per request, plotted by users; :func:`penguin_payload`
  is a request body for the course's model.
* :func:`score_parquet`, :func:`score_in_process`: batch scoring with Dask distributed, the
  model package shipped to the workers through the cluster and the files read by path or
  URL; on a ``LocalCluster`` (:func:`local_cluster`) or on a real cluster.

The lecture's props (batch sizes, the batching demo, the server comparison and its bare app,
a cluster of ``dask scheduler`` / ``dask worker`` processes, the scoring data set and report)
are in :mod:`prodml_workshop.props.scaling`.

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

from .dask_scoring import ScoringResult, local_cluster, score_in_process, score_parquet
from .load_testing import LoadTestError, load_test, penguin_payload, plot_load_test
from .machine import cpu_cores, describe_machine, load_average

__all__ = [
    "LoadTestError",
    "ScoringResult",
    "cpu_cores",
    "describe_machine",
    "load_average",
    "load_test",
    "local_cluster",
    "penguin_payload",
    "plot_load_test",
    "score_in_process",
    "score_parquet",
]
