"""The response types of the prediction APIs, and the answer to a refused request.

A batchable API's batch function returns one output per record; BentoML hands each request
its slice and validates it against the API's return annotation before answering. The
annotation :func:`served` builds lets a prediction through and raises :class:`RefusedRequest`
on a :class:`~.refusals.Refusal`. Raising a ``bentoml.exceptions.BentoMLException`` is
BentoML's documented way to answer another status code: the request at fault is answered with
the refusal's status (``422 Unprocessable Entity``, see :mod:`.refusals`), naming the reason,
while the other requests of its batch get their predictions.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from bentoml.exceptions import UnprocessableEntity
from pydantic import BeforeValidator

from .refusals import Refusal

__all__ = ["RefusedRequest", "label_type", "served"]


class RefusedRequest(UnprocessableEntity):
    """The model could not predict on a request's records; BentoML answers it 422 by default.

    The status is the refusal's (``error_code``, see :mod:`.refusals`).

    Not a ``ValueError``: pydantic would turn one raised in a validator into a validation
    error, answered 400 as if the request were malformed.
    """


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


def _answer(output: Any) -> Any:
    if isinstance(output, Refusal):
        raise RefusedRequest(output.message, error_code=HTTPStatus(output.status))
    return output


def served(item_type: Any) -> Any:
    """Return the annotation of one record's output in an API's ``list[...]`` return type.

    Parameters
    ----------
    item_type : type
        The type of one record's output, e.g. ``str`` or ``dict[str, float]``.

    Returns
    -------
    typing.Annotated
        ``item_type`` (what the OpenAPI page documents), validated so that a
        :class:`~.refusals.Refusal` raises :class:`RefusedRequest`.

    Examples
    --------
    >>> from pydantic import TypeAdapter
    >>> outputs = TypeAdapter(list[served(str)])
    >>> outputs.validate_python(["Adelie", "Gentoo"])
    ['Adelie', 'Gentoo']
    >>> outputs.validate_python(["Adelie", Refusal("NaN in bill_length_mm")])
    Traceback (most recent call last):
    ...
    prodml_workshop.serving.responses.RefusedRequest: NaN in bill_length_mm
    """
    return Annotated[item_type, BeforeValidator(_answer)]
