"""What the service does with one adaptive batch: predict, isolate refusals, log.

Adaptive batching hands the service's batch function the records of several requests, in one
list. The model predicts them all at once. If the model raises (it refuses some input the
schema allows, e.g. a category an encoder never saw), the batch is predicted again one
request at a time, so that only the request at fault gets a :class:`Refusal` per record
(answered 422) and the others their predictions. Every prediction served is written to the
prediction log, one row per record, tagged with the id of its request.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from prodml_workshop.packaging import LoadedModel

from .prediction_log import PredictionLog, model_version
from .validation import Record, records_to_input

__all__ = ["BatchPredictor", "Refusal"]

logger = logging.getLogger("prodml_workshop.serving")


@dataclass(frozen=True)
class Refusal:
    """The output for a record of a request that the model could not predict on.

    Attributes
    ----------
    message : str
        Why, for the client.
    """

    message: str


def _finite(outputs: np.ndarray) -> np.ndarray:
    # JSON has no NaN or infinity; a model without an imputer (a PyTorch module, say) turns a
    # missing value into NaN instead of refusing it.
    if outputs.dtype.kind == "f" and not np.isfinite(outputs).all():
        raise ValueError(
            "the model answered NaN or infinity for some records, which is no prediction; "
            "a missing value (null) that the model does not impute is the usual cause"
        )
    return outputs


class BatchPredictor:
    """Predict on batches of validated records with a loaded model and log the predictions.

    Parameters
    ----------
    model : LoadedModel
        The model, from :func:`~prodml_workshop.packaging.load_model`.
    log : PredictionLog
        Where predictions are written.

    Attributes
    ----------
    version : str
        The model version written in the log (see :func:`.model_version`).

    Examples
    --------
    >>> predictor = BatchPredictor(load_model(path), PredictionLog("log.sqlite"))  # doctest: +SKIP
    >>> predictor.run("predict", records)  # doctest: +SKIP
    ['Adelie', 'Gentoo']
    """

    def __init__(self, model: LoadedModel, log: PredictionLog) -> None:
        self.model = model
        self.log = log
        self.version = model_version(model.manifest)
        classes = model.classes_
        self._class_names = [str(c) for c in classes.tolist()] if classes is not None else []

    def run(self, endpoint: str, records: list[Record]) -> list[Any]:
        """Predict on a batch and log it.

        Parameters
        ----------
        endpoint : {"predict", "predict_proba"}
            What to compute.
        records : list of Record
            The batch, records of one or more requests.

        Returns
        -------
        list
            One output per record, in order: a label or value (``predict``), a dict of class
            probabilities (``predict_proba``), or a :class:`Refusal`.
        """
        start = time.perf_counter()
        try:
            outputs = self._predict(endpoint, records)
        except Exception:
            outputs = self._predict_per_request(endpoint, records)
        latency_ms = (time.perf_counter() - start) * 1000
        rows = [
            (record.request_id, record.model_dump(by_alias=True), output)
            for record, output in zip(records, outputs, strict=True)
            if not isinstance(output, Refusal)
        ]
        if rows:
            self.log.append(endpoint, self.version, rows, latency_ms=latency_ms)
        return outputs

    def _predict(self, endpoint: str, records: list[Record]) -> list[Any]:
        X = records_to_input(records, self.model.manifest)
        if endpoint == "predict":
            return _finite(self.model.predict(X)).tolist()
        return [
            dict(zip(self._class_names, row, strict=True))
            for row in _finite(self.model.predict_proba(X)).tolist()
        ]

    def _predict_per_request(self, endpoint: str, records: list[Record]) -> list[Any]:
        positions: dict[str, list[int]] = {}
        for i, record in enumerate(records):
            positions.setdefault(record.request_id, []).append(i)
        outputs: list[Any] = [None] * len(records)
        for request_id, indices in positions.items():
            try:
                results = self._predict(endpoint, [records[i] for i in indices])
            except Exception as exc:
                logger.warning("The model refused request %s", request_id, exc_info=True)
                refusal = Refusal(
                    f"The model could not predict on the records of this request: "
                    f"{type(exc).__name__}: {exc}. Check the values against what the model "
                    "was trained on (GET /metadata shows its schema)."
                )
                results = [refusal] * len(indices)
            for i, result in zip(indices, results, strict=True):
                outputs[i] = result
        return outputs
