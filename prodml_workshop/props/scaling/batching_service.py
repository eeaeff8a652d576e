"""One model behind two BentoML APIs that differ only in ``batchable``: the batching experiment.

``bentoml serve prodml_workshop.props.scaling.batching_service:BatchingDemo`` serves the model
package named by ``PRODML_MODEL_DIR`` (the default penguin model when unset) at

* ``POST /predict``: ``@bentoml.api(batchable=True, ...)``. BentoML's dispatcher holds the
  requests that arrive together (up to ``max_batch_size`` records, waiting at most what its
  latency model and ``max_latency_ms`` allow) and calls the method *once* with all their
  records; each request gets back its own slice of the answer;
* ``POST /predict_unbatched``: ``@bentoml.api`` with ``batchable`` left at its default,
  ``False``: one model call per request;
* ``POST /calls``: ``{"predict": [[time, records], ...], "predict_unbatched": [...]}``, every
  model call each API made since the server started (epoch seconds and records in the call).

Both take the body ``{"records": [{feature: value, ...}, ...]}`` and answer the list of
predictions. There is nothing else: no validation beyond JSON, no prediction log. Start it
from a notebook with :func:`~prodml_workshop.props.scaling.serve_batching_demo`.
"""

from __future__ import annotations

import time
from typing import Any

import bentoml
import numpy as np
import pandas as pd

__all__ = ["BatchingDemo"]


@bentoml.service(traffic={"timeout": 30})
class BatchingDemo:
    """The same model, with and without adaptive batching, and a record of every model call."""

    def __init__(self) -> None:
        # imported here, in the worker only: the server's main process needs the class alone
        from prodml_workshop.packaging import load_model
        from prodml_workshop.serving.default_model import model_dir_from_env
        from prodml_workshop.serving.validation import features

        self.model = load_model(model_dir_from_env())
        self.columns = [name for name, _ in features(self.model.manifest)]
        self.history: dict[str, list[tuple[float, int]]] = {"predict": [], "predict_unbatched": []}

    def _predict(self, api: str, records: list[dict[str, Any]]) -> list[Any]:
        self.history[api].append((time.time(), len(records)))
        frame = pd.DataFrame(records, columns=self.columns)
        # None -> NaN, the missing value the pipeline was trained to impute
        return self.model.predict(frame.where(frame.notna(), np.nan)).tolist()

    @bentoml.api(batchable=True, max_batch_size=100, max_latency_ms=5000)
    def predict(self, records: list[dict[str, Any]]) -> list[Any]:
        """Predict a list of records; concurrent requests share one model call."""
        return self._predict("predict", records)

    @bentoml.api
    def predict_unbatched(self, records: list[dict[str, Any]]) -> list[Any]:
        """Predict a list of records; every request is its own model call."""
        return self._predict("predict_unbatched", records)

    @bentoml.api
    def calls(self) -> dict[str, list[tuple[float, int]]]:
        """Every model call of each API so far: ``[epoch seconds, records]``."""
        return self.history
