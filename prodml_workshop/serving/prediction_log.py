"""The prediction log: one row per prediction served, for the monitoring session.

Each row holds the time (UTC, ISO 8601), the request id, the endpoint, the model version, the
size of the adaptive batch the record was predicted in and that batch's model time, the
record's inputs and output as JSON, its ``quality`` (the features out of the package's
reference range or unseen, comma-separated; ``''`` when clean or unchecked, see
:mod:`prodml_workshop.packaging.reference_profile`) and its ``role``: ``'served'`` for the
prediction the client got, ``'shadow'`` for a shadow model's prediction of the same record
(same request id). A log written before these two columns existed gets them when a server
opens it (``''`` and ``'served'`` for its old rows).

Where. ``PRODML_LOG_DB`` (or ``log_db=``) names a SQLite file, the default
(``prediction_log.sqlite`` in the working folder), or a PostgreSQL database by URL,
``postgresql://user@host:5432/db``, which every replica of a service writes to and every
reader reads (see :mod:`.log_database`: one schema, one code path, one migration for both).

Concurrency. A server has several writers: each worker process has its own engine (SQLite:
WAL mode, every writer waits up to 30 s for the write lock; PostgreSQL: a pool of a few
connections), and within a process the batches of ``/predict`` and ``/predict_proba`` may be
written from different threads. Each batch is one transaction, so no row is lost or
half-written, and ``id`` (an identity column on both engines) keeps the order rows were
written in, which :func:`read_log` returns.

A database down or slow. The prediction is the product: the service still answers. A batch
the database could not take within its timeouts (PostgreSQL: 3 s to connect, 5 s per
statement) is not written; its rows are counted (:attr:`PredictionLog.unwritten`, and the
server's Prometheus counter ``prodml_log_rows_unwritten_total`` at ``/metrics``), a warning
is logged (the URL without its password), and for 5 s the log does not try again, so a dead
database costs one timeout every 5 s, not one per request. When a write succeeds again, the
gap (since, until, rows, reason) is written to the log's ``log_gaps`` table, which
:func:`read_log_gaps` reads and the monitoring job reports: the log says itself that it is
incomplete. Rows counted while the database never came back before the server stopped are
only in the metrics and the server's log.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .log_database import (
    LogLocationError,
    create_schema,
    engine,
    gaps_table,
    log_location,
    shown_location,
    table,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_LOG_NAME",
    "RETRY_AFTER_S",
    "ROLES",
    "LogLocationError",
    "LogRow",
    "PredictionLog",
    "log_location_from_env",
    "model_version",
    "read_log",
    "read_log_gaps",
    "unwritten_rows_counter",
]

#: The log's file name when ``PRODML_LOG_DB`` is not set (in the server's working folder).
DEFAULT_LOG_NAME = "prediction_log.sqlite"
#: Seconds after a failed write during which batches are counted unwritten without a try.
RETRY_AFTER_S = 5.0
#: One prediction: ``(request_id, inputs, output)``, inputs and output JSON-safe.
LogRow = tuple[str, dict[str, Any], Any]
#: The roles a prediction has in the log.
ROLES = ("served", "shadow")

logger = logging.getLogger("prodml_workshop.serving")


def log_location_from_env() -> Path | str:
    """Return the log's location: ``$PRODML_LOG_DB``, else ``prediction_log.sqlite`` here.

    Returns
    -------
    pathlib.Path or str
        An absolute path, or a PostgreSQL URL (see :func:`~.log_database.log_location`).

    Raises
    ------
    LogLocationError
        If ``PRODML_LOG_DB`` is a URL of another database.

    Examples
    --------
    >>> log_location_from_env().name  # doctest: +SKIP
    'prediction_log.sqlite'
    """
    return log_location(os.environ.get("PRODML_LOG_DB") or DEFAULT_LOG_NAME)


def unwritten_rows_counter() -> Callable[[int], None]:
    """Return ``count(n)``, adding to the Prometheus counter ``prodml_log_rows_unwritten_total``.

    Made once per process; call it in the server's worker, after BentoML set
    ``PROMETHEUS_MULTIPROC_DIR``, so that ``/metrics`` sums every worker's count.
    """
    return _counter().inc


@functools.cache
def _counter() -> Any:
    from prometheus_client import Counter

    return Counter(
        "prodml_log_rows_unwritten",
        "Predictions answered but not written to the prediction log (database down or slow)",
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def model_version(manifest: dict[str, Any]) -> str:
    """Return a short id of a model package: its format and a hash of its manifest.

    The manifest holds the creation time and the SHA-256 of every artifact, so two packages
    have the same version only if they hold the same model saved at the same time.

    Parameters
    ----------
    manifest : dict
        A model package's manifest.

    Returns
    -------
    str
        E.g. ``"skops-3f2a9c1b7d04"``.

    Examples
    --------
    >>> model_version({"format": "onnx", "artifacts": {}})
    'onnx-9b673dbb6e71'
    """
    canonical = json.dumps(manifest, sort_keys=True).encode()
    return f"{manifest['format']}-{hashlib.sha256(canonical).hexdigest()[:12]}"


class PredictionLog:
    """An append-only log of predictions, safe for concurrent writers, on SQLite or PostgreSQL.

    Parameters
    ----------
    location : str or pathlib.Path
        A SQLite file (created, with its folder, if needed) or a PostgreSQL URL (see
        :func:`~.log_database.log_location`).
    on_unwritten : callable, default=None
        Called with the number of rows of each batch that could not be written (see
        :func:`unwritten_rows_counter`).

    Attributes
    ----------
    location : pathlib.Path or str
        Where the log is.
    unwritten : int
        The rows this log could not write since it was opened.

    Examples
    --------
    >>> log = PredictionLog(tmp_path / "log.sqlite")  # doctest: +SKIP
    >>> log.append("predict", "skops-3f2a", [("req-1", {"x": 1.0}, "Adelie")],
    ...            latency_ms=0.4)  # doctest: +SKIP
    1
    """

    def __init__(
        self, location: str | Path, *, on_unwritten: Callable[[int], None] | None = None
    ) -> None:
        from sqlalchemy import MetaData

        self.location = log_location(location)
        if isinstance(self.location, Path):
            self.location.parent.mkdir(parents=True, exist_ok=True)
        self.unwritten = 0
        self._on_unwritten = on_unwritten
        self._engine = engine(self.location)
        metadata = MetaData()
        self._table, self._gaps = table(metadata), gaps_table(metadata)
        self._lock = threading.Lock()  # guards the failure state below
        self._ready = False
        self._gap: dict[str, Any] | None = None  # rows not written, not yet recorded
        self._retry_at = 0.0
        self._write([])  # create the schema now if the database is there

    def __repr__(self) -> str:
        return f"PredictionLog('{shown_location(self.location)}', unwritten={self.unwritten})"

    def append(
        self,
        endpoint: str,
        version: str,
        rows: Sequence[LogRow],
        *,
        latency_ms: float,
        quality: Sequence[str] | None = None,
        role: str = "served",
    ) -> int:
        """Write the predictions of one batch, all or none, in one transaction.

        Parameters
        ----------
        endpoint : str
            The API that served them, e.g. ``"predict"``.
        version : str
            The model version, see :func:`model_version`.
        rows : sequence of (request_id, inputs, output)
            One entry per prediction.
        latency_ms : float
            The model's time for the whole batch, in milliseconds.
        quality : sequence of str, default=None
            Per row, the features out of range or unseen, comma-separated (``''`` when
            clean); all ``''`` when ``None``.
        role : {"served", "shadow"}, default="served"
            Whether the client got these predictions, or a shadow model made them.

        Returns
        -------
        int
            The rows written: ``len(rows)``, or 0 when the database could not take them
            (then counted in :attr:`unwritten`, see the module's notes).

        Raises
        ------
        ValueError
            If ``quality`` has another length than ``rows``, or ``role`` is unknown.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}.")
        quality = [""] * len(rows) if quality is None else list(quality)
        if len(quality) != len(rows):
            raise ValueError(
                f"{len(quality)} quality entries for {len(rows)} rows; pass one per row."
            )
        timestamp = _now()
        values = [
            {
                "timestamp": timestamp,
                "request_id": request_id,
                "endpoint": endpoint,
                "model_version": version,
                "batch_size": len(rows),
                "latency_ms": latency_ms,
                "inputs": json.dumps(inputs),
                "outputs": json.dumps(output),
                "quality": issues,
                "role": role,
            }
            for (request_id, inputs, output), issues in zip(rows, quality, strict=True)
        ]
        return self._write(values)

    def _write(self, values: list[dict[str, Any]]) -> int:
        from sqlalchemy import insert
        from sqlalchemy.exc import SQLAlchemyError

        with self._lock:
            if time.monotonic() < self._retry_at:
                self._count(len(values))
                return 0
            gap, self._gap = self._gap, None
        try:
            with self._engine.begin() as connection:
                if not self._ready:
                    create_schema(connection)
                if gap is not None:
                    connection.execute(insert(self._gaps), [gap])
                if values:
                    connection.execute(insert(self._table), values)
        except SQLAlchemyError as error:
            self._failed(len(values), gap, error)
            return 0
        self._ready = True
        return len(values)

    def _count(self, rows: int) -> None:
        # with self._lock held
        if rows:
            self.unwritten += rows
            now = _now()
            if self._gap is None:
                self._gap = {"since": now, "until": now, "rows": 0, "reason": ""}
            self._gap["until"] = now
            self._gap["rows"] += rows
            if self._on_unwritten is not None:
                self._on_unwritten(rows)

    def _failed(self, rows: int, gap: dict[str, Any] | None, error: Exception) -> None:
        reason = self._reason(error)
        with self._lock:
            if gap is not None:  # not recorded: merge it back
                if self._gap is not None:
                    gap["until"], gap["rows"] = self._gap["until"], gap["rows"] + self._gap["rows"]
                self._gap = gap
            self._count(rows)
            if self._gap is not None:
                self._gap["reason"] = reason
            self._retry_at = time.monotonic() + RETRY_AFTER_S
            unwritten = self.unwritten
        logger.warning(
            "The prediction log at %s could not take %d rows (%s); they were answered, not "
            "logged (%d unwritten so far). Next try in %.0f s.",
            shown_location(self.location), rows, reason, unwritten, RETRY_AFTER_S,
        )  # fmt: skip

    def _reason(self, error: Exception) -> str:
        original = getattr(error, "orig", None) or error
        text = f"{type(original).__name__}: {str(original).strip().splitlines()[0]}"
        password = self._password()
        return text.replace(password, "***") if password else text

    def _password(self) -> str | None:
        if isinstance(self.location, Path):
            return None
        return self._engine.url.password  # type: ignore[return-value]

    def close(self) -> None:
        """Record a pending gap if the database takes it now, and close the connections."""
        if self._gap is not None:
            with self._lock:
                self._retry_at = 0.0
            self._write([])
        self._engine.dispose()


def _read(location: str | Path, name: str) -> tuple[Path | str, Any]:
    """Read one table of a log: its location, and its rows with their column names."""
    from sqlalchemy import MetaData, inspect, literal, select
    from sqlalchemy.exc import OperationalError

    where = log_location(location)
    missing = FileNotFoundError(
        f"No prediction log at {shown_location(where)}. Serve some predictions first, or "
        "pass the location the server writes to (PRODML_LOG_DB, or server.log_db of serve())."
    )
    if isinstance(where, Path) and not where.is_file():
        raise missing
    reader = engine(where, read_only=True)
    try:
        connection = reader.connect()
    except OperationalError as error:
        reader.dispose()
        original = getattr(error, "orig", None) or error
        reason = str(original).strip().splitlines()[0]
        password = None if isinstance(where, Path) else reader.url.password
        raise ConnectionError(
            f"Could not read the prediction log at {shown_location(where)}: "
            f"{reason.replace(password, '***') if password else reason}. Is the database "
            "running, and are its credentials in the URL or the environment (PGPASSWORD)?"
        ) from None
    try:
        with connection:
            if not inspect(connection).has_table(name):
                if name == "predictions":
                    raise missing
                return where, None
            metadata = MetaData()
            tables = {"predictions": table(metadata), "log_gaps": gaps_table(metadata)}
            chosen = tables[name]
            present = {c["name"] for c in inspect(connection).get_columns(name)}
            columns = [
                column
                if column.name in present
                else literal(column.server_default.arg).label(column.name)
                for column in chosen.columns
                if column.name != "id"
            ]
            result = connection.execute(select(*columns).order_by(chosen.c.id))
            return where, (list(result.keys()), result.all())
    finally:
        reader.dispose()


def read_log(location: str | Path) -> pd.DataFrame:
    """Read a prediction log into a DataFrame, one row per prediction, in the order written.

    A SQLite file is opened read-only, so a running server can keep writing to it.

    Parameters
    ----------
    location : str or pathlib.Path
        The log: its SQLite file or its PostgreSQL URL (``PRODML_LOG_DB`` of the server, or
        ``server.log_db``).

    Returns
    -------
    pandas.DataFrame
        Columns ``timestamp`` (datetime64, UTC), ``request_id``, ``endpoint``,
        ``model_version``, ``batch_size``, ``latency_ms``, ``inputs`` (a dict per row),
        ``outputs`` (the label or value, or a dict of class probabilities), ``quality`` (the
        features out of range or unseen, comma-separated, ``''`` when clean) and ``role``
        (``'served'``, or ``'shadow'`` for a shadow model's predictions: keep
        ``log[log["role"] == "served"]`` for what clients got).
        ``pd.DataFrame(list(log["inputs"]))`` gives the features served.

    Raises
    ------
    FileNotFoundError
        If there is no log at ``location`` (no file, or no table in the database).
    ConnectionError
        If the database cannot be reached (the message shows the URL without its password).
    LogLocationError
        If ``location`` is a URL of another database.

    Examples
    --------
    >>> from prodml_workshop.serving import read_log
    >>> log = read_log(server.log_db)  # doctest: +SKIP
    >>> log.groupby("endpoint").size()  # doctest: +SKIP
    """
    import pandas as pd

    _, (columns, rows) = _read(location, "predictions")
    frame = pd.DataFrame(rows, columns=columns)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    for column in ("inputs", "outputs"):
        frame[column] = frame[column].map(json.loads)
    return frame


def read_log_gaps(location: str | Path) -> pd.DataFrame:
    """Read the gaps a log records: rows its writers answered but could not write.

    Parameters
    ----------
    location : str or pathlib.Path
        The log, as for :func:`read_log`.

    Returns
    -------
    pandas.DataFrame
        One row per gap, oldest first: ``since`` and ``until`` (UTC, the first and last
        batch not written), ``rows`` and ``reason`` (the database's error). Empty when
        every row was written, or the log predates gaps.

    Raises
    ------
    FileNotFoundError
        If there is no log at ``location``.

    Examples
    --------
    >>> read_log_gaps(server.log_db)["rows"].sum()  # doctest: +SKIP
    0
    """
    import pandas as pd

    _, found = _read(location, "log_gaps")
    columns, rows = found if found is not None else (["since", "until", "rows", "reason"], [])
    frame = pd.DataFrame(rows, columns=columns).astype({"rows": "int64"})
    for column in ("since", "until"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame
