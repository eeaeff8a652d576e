"""The response types of the prediction APIs, and the 422 answer to a refused request.

A batchable API's batch function returns one output per record; BentoML hands each request
its slice and turns it into the HTTP response with the API's output spec. The specs here
document the outputs (a list of labels, or of class-probability dicts) and answer
``422 Unprocessable Entity`` when the slice holds a :class:`~.predictor.Refusal`.
They build on ``_bentoml_sdk.io_models.ensure_io_descriptor``, the function BentoML 1.4
itself uses to turn a return annotation into an output spec.
"""

from __future__ import annotations

from typing import Any

from _bentoml_sdk.io_models import ensure_io_descriptor
from starlette.responses import JSONResponse, Response

from .predictor import Refusal

__all__ = ["label_type", "outputs_spec"]


def label_type(manifest: dict[str, Any]) -> type:
    """Return the Python type of the model's predictions.

    Parameters
    ----------
    manifest : dict
        A model package's manifest.

    Returns
    -------
    type
        The type of the class labels of a classifier (``str`` for the penguins), ``float``
        for a regressor.

    Examples
    --------
    >>> label_type({"task": "classification", "classes": ["Adelie", "Gentoo"]})
    <class 'str'>
    >>> label_type({"task": "regression", "classes": None})
    <class 'float'>
    """
    classes = manifest.get("classes") or []
    if manifest.get("task") == "classification" and classes:
        kind = type(classes[0])
        return kind if kind in (str, int, bool, float) else str
    return float


def outputs_spec(item_type: Any) -> type:
    """Return the output spec of an API that answers a list of ``item_type``.

    Parameters
    ----------
    item_type : type
        The type of one record's output, e.g. ``str`` or ``dict[str, float]``.

    Returns
    -------
    type
        A BentoML ``IODescriptor`` for ``list[item_type]`` whose responses are 422, naming
        the reason, when the model refused the request's records.

    Examples
    --------
    >>> @bentoml.api(batchable=True, output_spec=outputs_spec(str))  # doctest: +SKIP
    ... def predict(self, records: list[Record]) -> list[str]: ...
    """
    base = ensure_io_descriptor(list[item_type])

    class Outputs(base):
        @classmethod
        async def to_http_response(cls, obj: Any, serde: Any) -> Response:
            refusal = next((o for o in obj if isinstance(o, Refusal)), None)
            if refusal is not None:
                return JSONResponse({"error": refusal.message}, status_code=422)
            return await super().to_http_response(obj, serde)

    return Outputs
