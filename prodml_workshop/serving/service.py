"""The BentoML service: ``bentoml serve prodml_workshop.serving.service:ModelService``.

It serves the model package named by ``PRODML_MODEL_DIR`` (the default penguin model when
unset; a Bento's own model when run from a Bento) and logs every prediction to
``PRODML_LOG_DB`` (``prediction_log.sqlite`` in the working folder when unset; or a
PostgreSQL URL, see :mod:`.prediction_log`).
``PRODML_BATCHING=0`` turns adaptive batching off, so that every request is its own model call
(the scaling session compares both). When this module is imported, the package is copied into
BentoML's model store and checked (see :mod:`.service_startup`), and the request types are
built from its manifest, so the OpenAPI page (``/docs``) shows, and the server enforces, the
features of the model being served. The service declares the stored model as a class attribute,
so ``bentoml build`` packs it into the Bento.

Every record is checked against the package's reference profile, if it has one
(``PRODML_QUALITY``); a second package can run as a shadow (``PRODML_SHADOW_DIR``) or answer a
share of the requests as a canary (``PRODML_CANARY_DIR``, ``PRODML_CANARY_SHARE``), in the
same worker; every answer names its model version in ``X-Model-Version`` (see
:mod:`.rollout`).
"""

from __future__ import annotations

import os

import bentoml

from prodml_workshop.packaging import load_model, read_profile

from .metadata import metadata_app
from .middleware import RequestGuard
from .prediction_log import (
    PredictionLog,
    log_location_from_env,
    model_version,
    unwritten_rows_counter,
)
from .predictor import BatchPredictor, Scorer
from .responses import label_type, served
from .rollout import VersionRouter
from .service_startup import served_model, served_rollout
from .validation import record_model, records_type

__all__ = ["BATCHING", "MANIFEST", "MODEL_DIR", "ROLLOUT", "SECOND", "SERVED", "ModelService"]

#: The model served: its tag and folder in BentoML's model store, and its manifest.
SERVED = served_model()
#: The served package's folder (in the model store) and manifest; the request types come
#: from the manifest.
MODEL_DIR = SERVED.path
MANIFEST = SERVED.manifest
#: The data-quality policy and the second model's role, and the second model (shadow or
#: canary) in the model store, if any.
ROLLOUT, SECOND = served_rollout(SERVED)
Records = records_type(record_model(MANIFEST))
Label = served(label_type(MANIFEST))
Probabilities = served(dict[str, float])
#: Whether concurrent requests are merged into one model call (``PRODML_BATCHING`` != "0").
BATCHING = os.environ.get("PRODML_BATCHING", "1") != "0"


@bentoml.service(traffic={"timeout": 30})
@bentoml.asgi_app(metadata_app(MANIFEST), path="/")
class ModelService:
    """Predictions of one model package, validated against its manifest and logged."""

    #: The package in BentoML's model store; ``bentoml build`` packs it into the Bento.
    bento_model = bentoml.models.BentoModel(SERVED.tag)

    def __init__(self) -> None:
        self.model = load_model(self.bento_model.path)
        second = None
        if SECOND is not None:
            second = Scorer(load_model(SECOND.path), read_profile(SECOND.path))
        self.predictor = BatchPredictor(
            Scorer(self.model, read_profile(self.bento_model.path)),
            PredictionLog(log_location_from_env(), on_unwritten=unwritten_rows_counter()),
            quality=ROLLOUT.quality,
            second=second,
            mode=ROLLOUT.mode,
            canary_share=ROLLOUT.share,
        )

    @bentoml.api(batchable=BATCHING, max_batch_size=100, max_latency_ms=5000)
    def predict(self, records: Records) -> list[Label]:
        """Predict one record or a list of records, keyed by feature name (`null` = missing).

        Answers the list of predictions in the order of the records, or 422 naming the
        reason when the model cannot predict on them.
        """
        return self.predictor.run("predict", records)

    if MANIFEST["has_predict_proba"]:

        @bentoml.api(batchable=BATCHING, max_batch_size=100, max_latency_ms=5000)
        def predict_proba(self, records: Records) -> list[Probabilities]:
            """Class probabilities of one record or a list of records, keyed by feature name.

            Answers one `{class: probability}` object per record, in order (422 as above).
            """
            return self.predictor.run("predict_proba", records)


ModelService.add_asgi_middleware(
    RequestGuard,
    router=VersionRouter(
        model_version(MANIFEST),
        model_version(SECOND.manifest) if SECOND and ROLLOUT.mode == "canary" else None,
        ROLLOUT.share,
    ),
)
