"""The BentoML service: ``bentoml serve prodml_workshop.serving.service:ModelService``.

It serves the model package named by ``PRODML_MODEL_DIR`` (the default penguin model when
unset) and logs every prediction to ``PRODML_LOG_DB`` (``prediction_log.sqlite`` in the
working folder when unset). ``PRODML_BATCHING=0`` turns adaptive batching off, so that every
request is its own model call (the scaling session compares both). The request types are
built from the package's manifest when this module is imported, so the OpenAPI page
(``/docs``) shows, and the server enforces, the features of the model being served.
"""

from __future__ import annotations

import os

import bentoml

from prodml_workshop.packaging import load_model, read_manifest

from .default_model import model_dir_from_env
from .metadata import metadata_app
from .middleware import RequestGuard
from .prediction_log import PredictionLog, log_path_from_env
from .predictor import BatchPredictor
from .responses import label_type, outputs_spec
from .validation import record_model, records_type

__all__ = ["BATCHING", "MANIFEST", "MODEL_DIR", "ModelService"]

#: The model package served, and its manifest, from which the request types are built.
MODEL_DIR = model_dir_from_env()
MANIFEST = read_manifest(MODEL_DIR)
Records = records_type(record_model(MANIFEST))
Label = label_type(MANIFEST)
#: Whether concurrent requests are merged into one model call (``PRODML_BATCHING`` != "0").
BATCHING = os.environ.get("PRODML_BATCHING", "1") != "0"


@bentoml.service(traffic={"timeout": 30})
@bentoml.asgi_app(metadata_app(MANIFEST), path="/")
class ModelService:
    """Predictions of one model package, validated against its manifest and logged."""

    def __init__(self) -> None:
        self.model = load_model(MODEL_DIR)
        self.predictor = BatchPredictor(self.model, PredictionLog(log_path_from_env()))

    @bentoml.api(
        batchable=BATCHING,
        max_batch_size=100,
        max_latency_ms=5000,
        output_spec=outputs_spec(Label),
    )
    def predict(self, records: Records) -> list[Label]:
        """Predict one record or a list of records, keyed by feature name (`null` = missing).

        Answers the list of predictions in the order of the records.
        """
        return self.predictor.run("predict", records)

    if MANIFEST["has_predict_proba"]:

        @bentoml.api(
            batchable=BATCHING,
            max_batch_size=100,
            max_latency_ms=5000,
            output_spec=outputs_spec(dict[str, float]),
        )
        def predict_proba(self, records: Records) -> list[dict[str, float]]:
            """Class probabilities of one record or a list of records, keyed by feature name.

            Answers one `{class: probability}` object per record, in order.
            """
            return self.predictor.run("predict_proba", records)


ModelService.add_asgi_middleware(RequestGuard)
