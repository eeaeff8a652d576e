"""Every way the service refuses a request, in one table: its HTTP status and its message.

============== ====== ==================================================== ===================
kind           status when                                                 decided in
============== ====== ==================================================== ===================
``not_json``   415    a ``POST`` whose ``Content-Type`` is not JSON        :mod:`.middleware`
``too_large``  413    a ``POST`` body over the size limit                  :mod:`.middleware`
``invalid``    400    records that do not fit the model's input schema     :mod:`.validation`
``quality``    422    records outside the reference, ``PRODML_QUALITY``    :mod:`.predictor`
                      ``=refuse``
``model``      422    the model raised, or answered NaN or infinity        :mod:`.predictor`
============== ====== ==================================================== ===================

Each module above takes the status and the words from :data:`REFUSALS` (with :func:`refuse`),
so that a client reads the same kind of answer for the same kind of problem, and a change of
wording or status happens here. The exception is ``invalid``: the request types that
:mod:`.validation` builds make BentoML answer 400 with pydantic's errors, each at its place in
the request (see :mod:`.error_messages`); that answer is BentoML's own.

A refusal of the first three kinds comes before any model is chosen; the last two are answers
of the model a request was routed to (:attr:`RefusalKind.by_model`), so its ``X-Model-Version``
names that model (see :mod:`.middleware`).

Examples
--------
>>> refuse("too_large", size=5_000_000, limit=4_194_304)
Refusal(message='The request body has 5000000 bytes, more than the 4194304 accepted; send the \
records in several requests.', status=413)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BY_MODEL", "NOT_FINITE", "REFUSALS", "Refusal", "RefusalKind", "refuse"]


@dataclass(frozen=True)
class RefusalKind:
    """One way of refusing a request.

    Attributes
    ----------
    status : int
        The HTTP status of the answer.
    template : str
        The message, with ``{fields}`` that :meth:`message` fills.
    by_model : bool
        Whether the refusal comes from the model a request was routed to (after routing),
        rather than from the door (before any model is chosen).
    """

    status: int
    template: str
    by_model: bool = False

    def message(self, **fields: Any) -> str:
        """Return the message, its fields filled in."""
        return self.template.format(**fields)


@dataclass(frozen=True)
class Refusal:
    """The output for a record of a request that the service refuses to predict on.

    Attributes
    ----------
    message : str
        Why, for the client.
    status : int, default=422
        The HTTP status of the answer.
    """

    message: str
    status: int = 422


#: The kinds of refusal, by name.
REFUSALS: dict[str, RefusalKind] = {
    "not_json": RefusalKind(
        415,
        "The request body must be JSON, sent with 'Content-Type: application/json' "
        "(got {content_type!r}).",
    ),
    "too_large": RefusalKind(
        413,
        "The request body has {size} bytes, more than the {limit} accepted; send the records "
        "in several requests.",
    ),
    "quality": RefusalKind(
        422,
        "Some records are outside what the model was trained on, and this service refuses "
        "them (PRODML_QUALITY=refuse): {found}. Check their units and categories against the "
        "training data; the model would answer them, but its answer would be a guess.",
        by_model=True,
    ),
    "model": RefusalKind(
        422,
        "The model could not predict on the records of this request: {error}. Check the "
        "values against what the model was trained on (GET /metadata shows its schema).",
        by_model=True,
    ),
}

#: The statuses of the answers a model gave: its predictions (200) and its refusals.
BY_MODEL = frozenset({200} | {kind.status for kind in REFUSALS.values() if kind.by_model})

#: Why a model's output is no prediction: the ``error`` of a ``model`` refusal.
NOT_FINITE = (
    "the model answered NaN or infinity for some records, which is no prediction; a missing "
    "value (null) that the model does not impute is the usual cause"
)


def refuse(kind: str, **fields: Any) -> Refusal:
    """Return the refusal of a kind, its message filled in.

    Parameters
    ----------
    kind : str
        A key of :data:`REFUSALS`.
    **fields
        The fields of its message.

    Returns
    -------
    Refusal
        The message and the status.

    Examples
    --------
    >>> refuse("not_json", content_type="text/csv").status
    415
    """
    spec = REFUSALS[kind]
    return Refusal(spec.message(**fields), spec.status)
