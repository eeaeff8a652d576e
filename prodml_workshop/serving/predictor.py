"""What the service does with one adaptive batch: check, route, predict, isolate refusals, log.

Adaptive batching hands the service's batch function the records of several requests, in one
list. The model predicts them all at once. If the model raises (it refuses some input the
schema allows, e.g. a category an encoder never saw), the batch is predicted again one
request at a time, so that only the request at fault gets a :class:`~.refusals.Refusal` per
record (answered 422, see :mod:`.refusals`) and the others their predictions. Every prediction
served is written to the prediction log, one row per record, tagged with the id of its request.

Each record is also checked against the reference profile of the package that answers it
(:func:`~prodml_workshop.packaging.quality_reasons`): the features out of range
or unseen go into the log's ``quality`` column, or, with the ``refuse`` policy, the whole
request is refused, naming them. With a second model (see :mod:`.rollout`) a canary answers
the requests its share of ids routes to it, and a shadow scores every request served, its
predictions logged beside the served ones and never sent, its failures only logged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.packaging import LoadedModel, quality_reasons

from .prediction_log import PredictionLog, model_version
from .refusals import NOT_FINITE, Refusal, refuse
from .rollout import QUALITY_POLICIES, VersionRouter
from .validation import Record, features, records_to_input

__all__ = ["BatchPredictor", "Scorer"]

logger = logging.getLogger("prodml_workshop.serving")


def _finite(outputs: np.ndarray) -> np.ndarray:
    # JSON has no NaN or infinity; a model without an imputer (a PyTorch module, say) turns a
    # missing value into NaN instead of refusing it.
    if outputs.dtype.kind == "f" and not np.isfinite(outputs).all():
        raise ValueError(NOT_FINITE)
    return outputs


def _by_request(records: list[Record], indices: list[int]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for i in indices:
        positions.setdefault(records[i].request_id, []).append(i)
    return positions


class Scorer:
    """One loaded model with its version and reference profile: predicts, checks records.

    Parameters
    ----------
    model : LoadedModel
        The model, from :func:`~prodml_workshop.packaging.load_model`.
    profile : dict, default=None
        Its reference profile (:func:`~prodml_workshop.packaging.read_profile`);
        without one, records are not checked.

    Attributes
    ----------
    version : str
        The model version written in the log (see :func:`.model_version`).

    Examples
    --------
    >>> scorer = Scorer(load_model(path), read_profile(path))  # doctest: +SKIP
    >>> scorer.predict("predict", records)  # doctest: +SKIP
    ['Adelie', 'Gentoo']
    """

    def __init__(self, model: LoadedModel, profile: dict[str, Any] | None = None) -> None:
        self.model = model
        self.profile = profile
        self.version = model_version(model.manifest)
        classes = model.classes_
        self._class_names = [str(c) for c in classes.tolist()] if classes is not None else []
        self._names = [name for name, _ in features(model.manifest)]

    def quality(self, records: list[Record]) -> list[dict[str, str]]:
        """Per record, ``{feature: reason}`` for the features out of range or unseen."""
        if self.profile is None:
            return [{} for _ in records]
        rows = [record.model_dump(by_alias=True) for record in records]
        return quality_reasons(pd.DataFrame(rows, columns=self._names), self.profile)

    def predict(self, endpoint: str, records: list[Record]) -> list[Any]:
        """Predict on records of one or more requests; a request the model refuses gets Refusals.

        Parameters
        ----------
        endpoint : {"predict", "predict_proba"}
            What to compute.
        records : list of Record
            Validated records.

        Returns
        -------
        list
            One output per record, in order: a label or value, a dict of class
            probabilities, or a :class:`Refusal`.
        """
        try:
            return self._predict(endpoint, records)
        except Exception:
            return self._predict_per_request(endpoint, records)

    def _predict(self, endpoint: str, records: list[Record]) -> list[Any]:
        X = records_to_input(records, self.model.manifest)
        if endpoint == "predict":
            return _finite(self.model.predict(X)).tolist()
        return [
            dict(zip(self._class_names, row, strict=True))
            for row in _finite(self.model.predict_proba(X)).tolist()
        ]

    def _predict_per_request(self, endpoint: str, records: list[Record]) -> list[Any]:
        outputs: list[Any] = [None] * len(records)
        for request_id, indices in _by_request(records, list(range(len(records)))).items():
            try:
                results = self._predict(endpoint, [records[i] for i in indices])
            except Exception as exc:
                logger.warning(
                    "Model %s refused request %s", self.version, request_id, exc_info=True
                )
                refusal = refuse("model", error=f"{type(exc).__name__}: {exc}")
                results = [refusal] * len(indices)
            for i, result in zip(indices, results, strict=True):
                outputs[i] = result
        return outputs


def _quality_refusal(reasons: list[dict[str, str]], indices: list[int]) -> Refusal:
    found = "; ".join(
        f"record {n}: " + ", ".join(f"{name} ({why})" for name, why in reasons[i].items())
        for n, i in enumerate(indices)
        if reasons[i]
    )
    return refuse("quality", found=found)


class BatchPredictor:
    """Predict on batches of validated records, check their quality, log the predictions.

    Parameters
    ----------
    model : LoadedModel or Scorer
        The served model (a loaded model is not checked for quality: wrap it in a
        :class:`Scorer` with its profile).
    log : PredictionLog
        Where predictions are written.
    quality : {"log", "refuse"}, default="log"
        What to do with a record out of its reference range or unseen: log the features,
        or refuse its whole request (each of its records gets a :class:`Refusal`).
    second : Scorer, default=None
        A second model.
    mode : {"shadow", "canary"}, default=None
        What the second model does; required with ``second``.
    canary_share : float, default=0.0
        The share of request ids a canary answers (see :class:`~.rollout.VersionRouter`).

    Attributes
    ----------
    version : str
        The served model's version.
    router : VersionRouter
        Which version answers a request id.

    Examples
    --------
    >>> predictor = BatchPredictor(Scorer(load_model(v1), read_profile(v1)),
    ...                            PredictionLog("log.sqlite"), second=Scorer(load_model(v2)),
    ...                            mode="shadow")  # doctest: +SKIP
    >>> predictor.run("predict", records)  # doctest: +SKIP
    ['Adelie', 'Gentoo']
    """

    def __init__(
        self,
        model: LoadedModel | Scorer,
        log: PredictionLog,
        *,
        quality: str = "log",
        second: Scorer | None = None,
        mode: str | None = None,
        canary_share: float = 0.0,
    ) -> None:
        if quality not in QUALITY_POLICIES:
            raise ValueError(f"quality must be one of {QUALITY_POLICIES}, not {quality!r}.")
        if (second is None) != (mode is None) or mode not in (None, "shadow", "canary"):
            raise ValueError("Pass a second model with mode='shadow' or 'canary', or neither.")
        self.served = model if isinstance(model, Scorer) else Scorer(model)
        self.log = log
        self.refuse = quality == "refuse"
        self.second = second
        self.mode = mode
        self.version = self.served.version
        canary = second.version if second is not None and mode == "canary" else None
        self.router = VersionRouter(self.version, canary, canary_share)

    def run(self, endpoint: str, records: list[Record]) -> list[Any]:
        """Predict on a batch, each request with the model that answers it, and log it.

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
        outputs: list[Any] = [None] * len(records)
        to_canary = [self.router.to_canary(record.request_id) for record in records]
        for scorer, chosen in ((self.served, False), (self.second, True)):
            indices = [i for i, canary in enumerate(to_canary) if canary is chosen]
            if scorer is None or not indices:
                continue
            part = [records[i] for i in indices]
            for i, output in zip(indices, self._answer(scorer, endpoint, part), strict=True):
                outputs[i] = output
        if self.mode == "shadow":
            self._shadow(endpoint, records, outputs)
        return outputs

    def _answer(self, scorer: Scorer, endpoint: str, records: list[Record]) -> list[Any]:
        reasons = scorer.quality(records)
        outputs: list[Any] = [None] * len(records)
        if self.refuse:
            for indices in _by_request(records, list(range(len(records)))).values():
                if any(reasons[i] for i in indices):
                    refusal = _quality_refusal(reasons, indices)
                    for i in indices:
                        outputs[i] = refusal
        todo = [i for i, output in enumerate(outputs) if output is None]
        if todo:
            results = self._score(scorer, endpoint, records, todo, reasons, role="served")
            for i, result in zip(todo, results, strict=True):
                outputs[i] = result
        return outputs

    def _score(
        self,
        scorer: Scorer,
        endpoint: str,
        records: list[Record],
        indices: list[int],
        reasons: list[dict[str, str]],
        *,
        role: str,
    ) -> list[Any]:
        start = time.perf_counter()
        results = scorer.predict(endpoint, [records[i] for i in indices])
        latency_ms = (time.perf_counter() - start) * 1000
        kept = [(i, r) for i, r in zip(indices, results, strict=True) if not isinstance(r, Refusal)]
        if kept:
            self.log.append(
                endpoint,
                scorer.version,
                [(records[i].request_id, records[i].model_dump(by_alias=True), r) for i, r in kept],
                latency_ms=latency_ms,
                quality=[",".join(reasons[i]) for i, _ in kept],
                role=role,
            )
        return results

    def _shadow(self, endpoint: str, records: list[Record], outputs: list[Any]) -> None:
        served = [i for i, output in enumerate(outputs) if not isinstance(output, Refusal)]
        if self.second is None or not served:
            return
        try:  # a shadow never fails, nor changes, the client's answer
            part = [records[i] for i in served]
            self._score(
                self.second, endpoint, part, list(range(len(part))),
                self.second.quality(part), role="shadow",
            )  # fmt: skip
        except Exception:
            logger.exception("The shadow model %s failed on a batch", self.second.version)
