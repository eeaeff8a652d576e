"""The prediction log: one SQLite row per prediction served, for the monitoring session.

Each row holds the time (UTC), the request id, the endpoint, the model version, the size of
the adaptive batch the record was predicted in and that batch's model time, the record's
inputs and output as JSON, its ``quality`` (the features out of the package's reference range
or unseen, comma-separated; ``''`` when clean or unchecked, see
:mod:`prodml_workshop.packaging.reference_profile`) and its ``role``: ``'served'`` for the
prediction the client got, ``'shadow'`` for a shadow model's prediction of the same record
(same request id). A log written before these two columns existed gets them when a server
opens it (``''`` and ``'served'`` for its old rows).

Concurrency. A server has several writers: each worker process opens its own connection,
and within a process the batches of ``/predict`` and ``/predict_proba`` may be written from
different threads. The database is in WAL mode (readers never block the writer), every
connection waits up to 30 s for the write lock (``busy_timeout``) instead of failing, a
process-wide lock serialises its own writers, and each batch is one transaction, so no row is
lost or half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_LOG_NAME",
    "ROLES",
    "LogLocationError",
    "LogRow",
    "PredictionLog",
    "log_file",
    "log_path_from_env",
    "model_version",
    "read_log",
]

#: The log's file name when ``PRODML_LOG_DB`` is not set (in the server's working folder).
DEFAULT_LOG_NAME = "prediction_log.sqlite"

#: One prediction: ``(request_id, inputs, output)``, inputs and output JSON-safe.
LogRow = tuple[str, dict[str, Any], Any]

_BUSY_TIMEOUT_S = 30.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT NOT NULL,
    request_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    model_version TEXT NOT NULL,
    batch_size INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    quality TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT 'served'
)
"""
#: Columns added after the first version of the log, and their definition.
_ADDED_COLUMNS = {
    "quality": "TEXT NOT NULL DEFAULT ''",
    "role": "TEXT NOT NULL DEFAULT 'served'",
}
_COLUMNS = (
    "timestamp, request_id, endpoint, model_version, batch_size, latency_ms, inputs, outputs, "
    "quality, role"
)
_INSERT = f"INSERT INTO predictions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#: The roles a prediction has in the log.
ROLES = ("served", "shadow")
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$")


class LogLocationError(ValueError):
    """The log's location is a database URL, which this log cannot write to."""


def log_file(location: str | Path) -> Path:
    """Return the SQLite file a log location names, refusing a database URL.

    A URL such as ``postgresql://user@host/db`` is not a path: taken as one, it would make a
    folder named ``postgresql:`` and write a SQLite file there while the database receives
    nothing.

    Parameters
    ----------
    location : str or pathlib.Path
        ``PRODML_LOG_DB``, or the ``log_db`` given to :func:`~.server_launcher.serve` or
        :func:`read_log`.

    Returns
    -------
    pathlib.Path
        The absolute path of the SQLite file.

    Raises
    ------
    LogLocationError
        If ``location`` is a URL (``scheme://...``); the message shows it without its password.

    Examples
    --------
    >>> log_file("/tmp/logs/prediction_log.sqlite").name
    'prediction_log.sqlite'
    >>> log_file("postgresql://course:secret@db.example:5432/logs")
    Traceback (most recent call last):
    ...
    prodml_workshop.serving.prediction_log.LogLocationError: The prediction log is a SQLite \
file, and 'postgresql://course:***@db.example:5432/logs' is a database URL: give a file path \
(e.g. prediction_log.sqlite), or set PRODML_LOG_DB to one.
    """
    match = _URL.match(str(location)) if isinstance(location, str) else None
    if match:
        shown = re.sub(r"^([^/@:]*):[^/@]*@", r"\1:***@", match["rest"])
        raise LogLocationError(
            f"The prediction log is a SQLite file, and '{match['scheme']}://{shown}' is a "
            "database URL: give a file path (e.g. prediction_log.sqlite), or set "
            "PRODML_LOG_DB to one."
        )
    return Path(location).expanduser().resolve()


def log_path_from_env() -> Path:
    """Return the log's path: ``$PRODML_LOG_DB``, else ``prediction_log.sqlite`` here.

    Returns
    -------
    pathlib.Path
        An absolute path.

    Examples
    --------
    >>> log_path_from_env().name  # doctest: +SKIP
    'prediction_log.sqlite'
    """
    return log_file(os.environ.get("PRODML_LOG_DB") or DEFAULT_LOG_NAME)


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
    """An append-only SQLite log of predictions, safe for concurrent writers.

    Parameters
    ----------
    path : str or pathlib.Path
        The database file; created, with its folder, if needed.

    Examples
    --------
    >>> log = PredictionLog(tmp_path / "log.sqlite")  # doctest: +SKIP
    >>> log.append("predict", "skops-3f2a", [("req-1", {"x": 1.0}, "Adelie")],
    ...            latency_ms=0.4)  # doctest: +SKIP
    """

    def __init__(self, path: str | Path) -> None:
        self.path = log_file(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            self.path, timeout=_BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
        )
        with self._lock:
            self._connection.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
            self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.execute("PRAGMA synchronous = NORMAL")
            self._connection.execute(_SCHEMA)
            self._add_new_columns()

    def _add_new_columns(self) -> None:
        present = {row[1] for row in self._connection.execute("PRAGMA table_info(predictions)")}
        for name, definition in _ADDED_COLUMNS.items():
            if name not in present:
                with contextlib.suppress(sqlite3.OperationalError):  # another writer added it
                    self._connection.execute(
                        f"ALTER TABLE predictions ADD COLUMN {name} {definition}"
                    )

    def append(
        self,
        endpoint: str,
        version: str,
        rows: Sequence[LogRow],
        *,
        latency_ms: float,
        quality: Sequence[str] | None = None,
        role: str = "served",
    ) -> None:
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
        timestamp = datetime.now(UTC).isoformat(timespec="microseconds")
        values = [
            (
                timestamp,
                request_id,
                endpoint,
                version,
                len(rows),
                latency_ms,
                json.dumps(inputs),
                json.dumps(output),
                issues,
                role,
            )
            for (request_id, inputs, output), issues in zip(rows, quality, strict=True)
        ]
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                self._connection.executemany(_INSERT, values)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._connection.close()


def read_log(path: str | Path) -> pd.DataFrame:
    """Read a prediction log into a DataFrame, one row per prediction, oldest first.

    The file is opened read-only, so a running server can keep writing to it.

    Parameters
    ----------
    path : str or pathlib.Path
        The log's database file (``PRODML_LOG_DB`` of the server, or ``server.log_db``).

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
        If there is no log at ``path``.

    Examples
    --------
    >>> from prodml_workshop.serving import read_log
    >>> log = read_log(server.log_db)  # doctest: +SKIP
    >>> log.groupby("endpoint").size()  # doctest: +SKIP
    """
    import pandas as pd

    path = log_file(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No prediction log at {path}. Serve some predictions first, or pass the path "
            "the server writes to (PRODML_LOG_DB, or server.log_db of serve())."
        )
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
        present = {row[1] for row in connection.execute("PRAGMA table_info(predictions)")}
        added = ", ".join(  # a log no server opened since the columns were added
            name if name in present else f"{definition.split()[-1]} AS {name}"
            for name, definition in _ADDED_COLUMNS.items()
        )
        frame = pd.read_sql_query(
            "SELECT timestamp, request_id, endpoint, model_version, batch_size, latency_ms, "
            f"inputs, outputs, {added} FROM predictions ORDER BY id",
            connection,
        )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    for column in ("inputs", "outputs"):
        frame[column] = frame[column].map(json.loads)
    return frame
