"""Where the prediction log lives: a SQLite file, or a PostgreSQL database by URL.

A log location is a SQLite file path (the embedded default the notebooks keep, also written
``sqlite:///path``) or a PostgreSQL URL, ``postgresql://user@host:5432/db``, which every
replica of a service can write to and every reader can read. Anything else with a scheme
(``mysql://...``) is refused with :class:`LogLocationError`: a URL never silently becomes a
folder named ``mysql:`` with a SQLite file in it.

Why SQLAlchemy Core (2.x) with psycopg 3, rather than psycopg alone: the log's table, its
insert, its read and its migration (the columns added since its first version) are written
once, and the dialect renders them for each engine (parameter style, the identity column, the
schema inspection); psycopg alone would need a second SQL path beside ``sqlite3`` for every
statement, and two migrations to keep in step. SQLAlchemy is imported only when a log is
opened or read, and psycopg only for a PostgreSQL URL (a notebook's SQLite log never imports
it); ``postgresql://`` is mapped to the ``postgresql+psycopg`` driver.

Credentials come from the URL or from libpq's environment (``PGPASSWORD``, ``PGPASSFILE``,
``PGUSER``...), which psycopg reads, never from a file of this package. A URL is shown with its
password replaced by ``***`` (:func:`shown_location`) in every message this package writes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine, Table

__all__ = [
    "ADDED_COLUMNS",
    "CONNECT_TIMEOUT_S",
    "SQLITE_BUSY_TIMEOUT_S",
    "STATEMENT_TIMEOUT_S",
    "SUPPORTED",
    "LogLocationError",
    "create_schema",
    "engine",
    "gaps_table",
    "log_location",
    "shown_location",
    "table",
]

#: What a log location may be, as said in errors.
SUPPORTED = "a SQLite file path (or sqlite:///path) or a postgresql:// URL"
#: Seconds to wait for a PostgreSQL connection, and for one statement: a slow or unreachable
#: database delays a batch's answer by at most about this, then the rows are counted unwritten.
CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_S = 5
#: Seconds a SQLite writer waits for the write lock (busy_timeout) before it gives up.
SQLITE_BUSY_TIMEOUT_S = 30.0
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.DOTALL)
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
#: Columns added after the first version of the log, and their definition (valid SQL on both).
ADDED_COLUMNS = {
    "quality": "TEXT NOT NULL DEFAULT ''",
    "role": "TEXT NOT NULL DEFAULT 'served'",
}
#: A constant key for PostgreSQL's advisory lock: replicas starting together create the
#: table once.
_SCHEMA_LOCK = 0x70726F646D6C


class LogLocationError(ValueError):
    """The log's location is neither a SQLite file nor a PostgreSQL URL."""


def shown_location(location: str | os.PathLike[str]) -> str:
    """Return a log location as it may be shown: a URL's password replaced by ``***``.

    Parameters
    ----------
    location : str or os.PathLike
        A path or a database URL.

    Returns
    -------
    str
        The location with no password in it.

    Examples
    --------
    >>> shown_location("postgresql://course:s3cret@db.example:5432/logs")
    'postgresql://course:***@db.example:5432/logs'
    >>> shown_location("postgresql://db.example/logs?user=course&password=s3cret")
    'postgresql://db.example/logs?user=course&password=***'
    >>> shown_location("/tmp/prediction_log.sqlite")
    '/tmp/prediction_log.sqlite'
    """
    text = os.fspath(location)
    match = _URL.match(text)
    if not match:
        return text
    rest = re.sub(r"^([^/@:]*):[^/@]*@", r"\1:***@", match["rest"])
    rest = re.sub(r"([?&]password=)[^&]*", r"\1***", rest)
    return f"{match['scheme']}://{rest}"


def log_location(location: str | os.PathLike[str]) -> Path | str:
    """Return where a log is: a SQLite file's absolute path, or a PostgreSQL URL.

    Parameters
    ----------
    location : str or os.PathLike
        ``PRODML_LOG_DB``, or the ``log_db`` given to :func:`~.server_launcher.serve` or
        :func:`~.prediction_log.read_log`: a file path, ``sqlite:///path``, or
        ``postgresql://[user[:password]@]host[:port]/database``.

    Returns
    -------
    pathlib.Path or str
        The SQLite file (absolute), or the PostgreSQL URL as given.

    Raises
    ------
    LogLocationError
        If ``location`` is a URL of another database; the message shows it without its
        password.

    Examples
    --------
    >>> log_location("/tmp/logs/prediction_log.sqlite").name
    'prediction_log.sqlite'
    >>> log_location("sqlite:////tmp/logs/log.sqlite")
    PosixPath('/tmp/logs/log.sqlite')
    >>> log_location("postgresql://course@db.example:5432/logs")
    'postgresql://course@db.example:5432/logs'
    >>> log_location("mysql://course:s3cret@db.example/logs")
    Traceback (most recent call last):
    ...
    prodml_workshop.serving.log_database.LogLocationError: 'mysql://course:***@db.example/logs' \
is a mysql database URL; the prediction log is a SQLite file path (or sqlite:///path) or a \
postgresql:// URL.
    """
    if not isinstance(location, str):
        return Path(location).expanduser().resolve()
    match = _URL.match(location)
    if not match:
        return Path(location).expanduser().resolve()
    scheme = match["scheme"].lower()
    if scheme in _POSTGRES_SCHEMES:
        return location
    if scheme == "sqlite" and match["rest"].startswith("/") and match["rest"] != "/":
        return Path(match["rest"][1:]).expanduser().resolve()
    raise LogLocationError(
        f"'{shown_location(location)}' is a {scheme} database URL; the prediction log is "
        f"{SUPPORTED}."
    )


def _postgres_url(url: str) -> Any:
    from sqlalchemy.engine import make_url

    return make_url(re.sub(r"^[^:]*://", "postgresql+psycopg://", url))


def _id_type() -> Any:
    # a 64-bit identity on PostgreSQL; SQLite's INTEGER PRIMARY KEY AUTOINCREMENT (its rowid)
    from sqlalchemy import BigInteger, Integer

    return BigInteger().with_variant(Integer(), "sqlite")


def table(metadata: Any) -> Table:
    """The log's table, the same for both engines."""
    from sqlalchemy import Column, Float, Identity, Integer, Table, Text

    return Table(
        "predictions",
        metadata,
        Column("id", _id_type(), Identity(), primary_key=True),
        Column("timestamp", Text, nullable=False),
        Column("request_id", Text, nullable=False),
        Column("endpoint", Text, nullable=False),
        Column("model_version", Text, nullable=False),
        Column("batch_size", Integer, nullable=False),
        Column("latency_ms", Float, nullable=False),
        Column("inputs", Text, nullable=False),
        Column("outputs", Text, nullable=False),
        Column("quality", Text, nullable=False, server_default=""),
        Column("role", Text, nullable=False, server_default="served"),
        sqlite_autoincrement=True,
    )


def gaps_table(metadata: Any) -> Table:
    """The log's record of rows a writer could not write: when, how many, why."""
    from sqlalchemy import Column, Identity, Integer, Table, Text

    return Table(
        "log_gaps",
        metadata,
        Column("id", _id_type(), Identity(), primary_key=True),
        Column("since", Text, nullable=False),
        Column("until", Text, nullable=False),
        Column("rows", Integer, nullable=False),
        Column("reason", Text, nullable=False),
        sqlite_autoincrement=True,
    )


def engine(location: Path | str, *, read_only: bool = False) -> Engine:
    """Return an engine for a log location (see :func:`log_location`).

    A SQLite file is opened in WAL mode (readers never block the writer) with a
    ``busy_timeout`` of 30 s, and every write transaction starts with ``BEGIN IMMEDIATE``, so
    concurrent writers wait for each other instead of failing; ``read_only`` opens it with
    ``mode=ro``. PostgreSQL gets a small pool per process (2 connections, up to 4 more under
    load), a connect timeout of :data:`CONNECT_TIMEOUT_S` and a statement timeout of
    :data:`STATEMENT_TIMEOUT_S`.
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    if isinstance(location, Path):
        url = f"sqlite:///{location}"
        if read_only:
            url = f"sqlite:///file:{location.as_posix()}?mode=ro&uri=true"
        created = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        )

        @event.listens_for(created, "connect")
        def _connect(connection: Any, _: Any) -> None:
            connection.isolation_level = None  # SQLAlchemy's "begin" below opens transactions
            if not read_only:
                connection.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")

        @event.listens_for(created, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return created
    options = f"-c statement_timeout={STATEMENT_TIMEOUT_S * 1000}"
    return create_engine(
        _postgres_url(location),
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "options": options},
        **(
            {"poolclass": NullPool}
            if read_only
            else {"pool_size": 2, "max_overflow": 4, "pool_timeout": CONNECT_TIMEOUT_S}
        ),
        pool_pre_ping=not read_only,
    )


def create_schema(connection: Any) -> None:
    """Create the log's tables if needed, and add the columns a log of an older version lacks.

    Run in one transaction: PostgreSQL takes an advisory lock first, SQLite's
    ``BEGIN IMMEDIATE`` the write lock, so writers starting together do it once.
    """
    from sqlalchemy import MetaData, inspect, text

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
    metadata = MetaData()
    table(metadata)
    gaps_table(metadata)
    metadata.create_all(connection)
    present = {column["name"] for column in inspect(connection).get_columns("predictions")}
    for name, definition in ADDED_COLUMNS.items():
        if name not in present:
            connection.execute(text(f"ALTER TABLE predictions ADD COLUMN {name} {definition}"))
