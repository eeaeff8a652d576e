"""Request validation: pydantic types built from a model package's input schema.

A request to ``/predict`` is ``{"records": [{feature: value, ...}, ...]}`` (or one record
instead of the list). Each record must have exactly the features of the manifest's
``input_schema``, each of its type; the checks run per request, before adaptive batching
merges requests, so a bad request is answered 400 alone and never spoils its batch.

=========== ========================== =====================================================
schema      JSON accepted              why
=========== ========================== =====================================================
``float``   number or ``null``         a float column can hold NaN, which the pipeline
                                       imputes; ``NaN``/``Infinity`` literals and numbers
                                       too large for a float are refused as non-finite
``int``     integer (int64 range)      an int column cannot hold NaN, so it had none
``bool``    ``true``/``false``         a bool column cannot hold NaN either
``string``  string or ``null``         missing text is NaN in pandas, imputed by the model
=========== ========================== =====================================================

Types are strict: ``"39.1"`` is not a number and ``1`` is not a string. A package saved from
a numpy array (``input_schema["type"] == "ndarray"``) has features named ``x0``, ``x1``, ...
"""

from __future__ import annotations

import contextvars
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    create_model,
)

__all__ = [
    "MAX_RECORDS",
    "REQUEST_ID",
    "Record",
    "features",
    "record_model",
    "records_to_input",
    "records_type",
    "to_records",
]

#: The most records one request may hold; larger requests are refused with 400.
MAX_RECORDS = 1000

#: The id of the request being validated, set by :class:`~.middleware.RequestGuard`.
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("prodml_request_id", default="")

_INT64 = np.iinfo(np.int64)
_JSON_TYPES: dict[str, Any] = {
    "float": Annotated[float | None, Field(allow_inf_nan=False)],
    "int": Annotated[int, Field(ge=int(_INT64.min), le=int(_INT64.max))],
    "bool": bool,
    "string": str | None,
}


class Record(BaseModel):
    """Base class of the record models; remembers the request a record came in with."""

    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=())
    _request_id: str = PrivateAttr(default="")

    @property
    def request_id(self) -> str:
        """The id of the HTTP request that sent this record."""
        return self._request_id


def _schema_dtype(numpy_dtype: str) -> str:
    kind = np.dtype(numpy_dtype).kind
    return {"b": "bool", "i": "int", "u": "int"}.get(kind, "float")


def features(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the model's input features and their schema dtypes, in the model's order.

    Parameters
    ----------
    manifest : dict
        A model package's manifest (see :func:`~prodml_workshop.packaging.read_manifest`).

    Returns
    -------
    list of (str, str)
        ``(name, dtype)`` pairs, dtype one of ``"float"``, ``"int"``, ``"bool"``,
        ``"string"``. Features of an array schema are named ``x0``, ``x1``, ...

    Raises
    ------
    ValueError
        If the package has no input schema.

    Examples
    --------
    >>> features({"input_schema": {"type": "ndarray", "n_features": 2, "dtype": "float32"}})
    [('x0', 'float'), ('x1', 'float')]
    """
    schema = manifest.get("input_schema")
    if not schema:
        raise ValueError(
            "This model package has no input schema, so requests cannot be validated. "
            "Save the model again with sample_input=X_train.head()."
        )
    if schema["type"] == "ndarray":
        dtype = _schema_dtype(schema["dtype"])
        return [(f"x{i}", dtype) for i in range(schema["n_features"])]
    return [(column["name"], column["dtype"]) for column in schema["columns"]]


def record_model(manifest: dict[str, Any]) -> type[Record]:
    """Build the pydantic model of one record of the model's input.

    Parameters
    ----------
    manifest : dict
        A model package's manifest.

    Returns
    -------
    type
        A subclass of :class:`Record` with one required field per feature and no other
        fields allowed.

    Raises
    ------
    ValueError
        If the package has no input schema.

    Examples
    --------
    >>> manifest = {"input_schema": {"type": "dataframe", "columns": [
    ...     {"name": "island", "dtype": "string"}, {"name": "mass", "dtype": "float"}]}}
    >>> record_model(manifest)(island="Dream", mass=None)
    InputRecord(island='Dream', mass=None)
    """
    names = features(manifest)
    fields: dict[str, Any] = {}
    for i, (name, dtype) in enumerate(names):
        if name.startswith("_") or hasattr(Record, name):
            # pydantic keeps names starting with "_" private, and a field must not hide a
            # member of the record (e.g. a column "copy" or "request_id"): such a feature is
            # a field of another name that reads and writes the feature's name (its alias).
            field = f"feature_{i}"
            while field in fields or any(field == n for n, _ in names):
                field += "_"
            fields[field] = (_JSON_TYPES[dtype], Field(alias=name))
        else:
            fields[name] = (_JSON_TYPES[dtype], ...)
    return create_model("InputRecord", __base__=Record, __module__=__name__, **fields)


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


def _stamp_request_id(records: list[Record]) -> list[Record]:
    request_id = REQUEST_ID.get()
    for record in records:
        record._request_id = request_id
    return records


def records_type(record: type[Record]) -> Any:
    """Return the type of a request's ``records``: one record or a list of 1 to ``MAX_RECORDS``.

    Parameters
    ----------
    record : type
        The record model, from :func:`record_model`.

    Returns
    -------
    typing.Annotated
        ``list[record]`` with its length bounds; a single record object is accepted as a
        list of one. Validated records carry the id of their request.

    Examples
    --------
    >>> from pydantic import TypeAdapter
    >>> Point = record_model({"input_schema": {"type": "ndarray", "n_features": 1,
    ...                                        "dtype": "float64"}})
    >>> TypeAdapter(records_type(Point)).validate_python({"x0": 1.5})
    [InputRecord(x0=1.5)]
    """
    return Annotated[
        list[record],
        BeforeValidator(_one_or_many),
        Field(min_length=1, max_length=MAX_RECORDS),
        AfterValidator(_stamp_request_id),
    ]


def records_to_input(records: list[Record], manifest: dict[str, Any]) -> Any:
    """Turn validated records into what the loaded model predicts on.

    Parameters
    ----------
    records : list of Record
        Validated records.
    manifest : dict
        The model package's manifest.

    Returns
    -------
    pandas.DataFrame or numpy.ndarray
        A DataFrame with the schema's columns, in order, missing values as NaN (as in the
        training data); or, for an array schema, an array of the saved dtype.

    Examples
    --------
    >>> manifest = {"input_schema": {"type": "dataframe", "columns": [
    ...     {"name": "island", "dtype": "string"}, {"name": "mass", "dtype": "float"}]}}
    >>> Penguin = record_model(manifest)
    >>> records_to_input([Penguin(island=None, mass=None)], manifest).isna().all(axis=None)
    np.True_
    """
    names = features(manifest)
    rows = [record.model_dump(by_alias=True) for record in records]
    frame = pd.DataFrame(rows, columns=[n for n, _ in names])
    for name, dtype in names:
        if dtype == "string":
            column = frame[name].astype(object)
            frame[name] = column.where(column.notna(), np.nan)
        else:
            frame[name] = frame[name].astype({"float": "float64", "int": "int64"}.get(dtype, dtype))
    schema = manifest["input_schema"]
    if schema["type"] == "ndarray":
        return frame.to_numpy(dtype=schema["dtype"])
    return frame


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a DataFrame's rows as JSON-safe records, missing values as ``None``.

    ``frame.to_dict("records")`` keeps NaN, which JSON writes as the literal ``NaN`` that the
    server refuses as non-finite; ``None`` is sent as ``null``, which means "missing".

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to send, e.g. ``X_test.head()``.

    Returns
    -------
    list of dict
        One ``{column: value}`` per row, values as Python scalars.

    Examples
    --------
    >>> to_records(pd.DataFrame({"island": ["Dream", None], "mass": [3750.0, np.nan]}))
    [{'island': 'Dream', 'mass': 3750.0}, {'island': None, 'mass': None}]
    """
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): v.item() if isinstance(v, np.generic) else v for k, v in row.items()}
        for row in cleaned.to_dict("records")
    ]
