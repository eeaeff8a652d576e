"""Serving: a BentoML service for a model package, request validation and a prediction log.

``bentoml serve prodml_workshop.serving.service:ModelService`` serves the package named by
``PRODML_MODEL_DIR`` (the default penguin model when unset) with ``POST /predict``,
``POST /predict_proba`` (classifiers with probabilities) and ``GET /metadata``, besides
BentoML's ``/readyz``, ``/livez``, ``/metrics`` and ``/docs``. Requests are validated against
the package's input schema, and against its reference profile (records out of the training
range are logged, or refused with ``PRODML_QUALITY=refuse``); every prediction is appended to
the log ``PRODML_LOG_DB``, a SQLite file or a PostgreSQL URL that every replica shares. A second
package can run beside the served one, as a shadow or a canary (:mod:`.rollout`); every answer
names its model version in ``X-Model-Version``.
From a notebook, :func:`serve` starts and always stops the server (:func:`serve_bento`, a
built Bento, which carries its model); :func:`read_log` reads the log for the monitoring
session; :func:`error_message` reads an error answer in one line. (The lecture's props, cold
and warm timings and a built Bento's contents, are in :mod:`prodml_workshop.props.serving`.)

Examples
--------
>>> from prodml_workshop.serving import read_log, serve, to_records
>>> with serve() as server:  # doctest: +SKIP
...     server.client.predict(records=to_records(X_test.head(3)))
['Adelie', 'Gentoo', 'Chinstrap']
>>> read_log(server.log_db).tail(3)  # doctest: +SKIP
"""

from .default_model import default_model_dir
from .error_messages import error_message
from .prediction_log import PredictionLog, model_version, read_log, read_log_gaps
from .server_launcher import ModelServer, ServerStartError, WatchedServer, serve, serve_bento
from .validation import MAX_RECORDS, to_records

__all__ = [
    "MAX_RECORDS",
    "ModelServer",
    "PredictionLog",
    "ServerStartError",
    "WatchedServer",
    "default_model_dir",
    "error_message",
    "model_version",
    "read_log",
    "read_log_gaps",
    "serve",
    "serve_bento",
    "to_records",
]
