"""The reason in an error answer of the service, in one line, for a table or a log.

The service answers every error with a JSON object. A request that its schema refuses (400)
gets BentoML's validation answer, one ``detail`` item per problem, each at a place in the
request (``["records", 0, "sex"]``: the field ``sex`` of the first record)::

    {"error": "1 validation error for Input",
     "detail": [{"type": "missing", "loc": ["records", 0, "sex"], "msg": "Field required"}]}

Any other error (413, 415, 422) is ``{"error": reason}``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["error_message"]


def error_message(answer: Any) -> str:
    """Return the reason in an error answer of the service, in one line.

    Parameters
    ----------
    answer : dict
        The JSON body of the answer, e.g. ``response.json()``.

    Returns
    -------
    str
        Each problem of a validation answer as ``place: message`` (``records.0.sex: Field
        required``; a problem with the whole body has no place), joined by ``"; "``; else the
        ``error`` text.

    Raises
    ------
    ValueError
        If ``answer`` is not an error answer (an object with an ``error``), e.g. the
        predictions of a successful request.

    Examples
    --------
    >>> error_message({"error": "2 validation error for Input", "detail": [
    ...     {"type": "missing", "loc": ["records", 0, "sex"], "msg": "Field required"},
    ...     {"type": "json_invalid", "loc": [], "msg": "Invalid JSON"}]})
    'records.0.sex: Field required; Invalid JSON'
    >>> error_message({"error": "The request body must be JSON"})
    'The request body must be JSON'
    """
    if not isinstance(answer, dict) or "error" not in answer:
        raise ValueError(
            f"This is not an error answer of the service: {answer!r:.200}. Pass the JSON body "
            "of an answer whose status is 4xx or 5xx, e.g. response.json()."
        )
    problems = [
        f"{'.'.join(map(str, item['loc']))}: {item['msg']}" if item.get("loc") else item["msg"]
        for item in answer.get("detail") or []
    ]
    return "; ".join(problems) or str(answer["error"])
