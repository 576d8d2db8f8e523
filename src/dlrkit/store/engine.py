"""Database engines for the store: a URL in, an engine set up for durability and concurrency out.

- `sqlite:///FILE`: WAL journal, `synchronous=FULL` (each commit fsyncs the WAL: an
  acknowledged report survives a power loss, which `NORMAL` does not promise in WAL mode), a
  busy timeout, and explicit `BEGIN`: writers `BEGIN IMMEDIATE`, so a transaction never has
  to upgrade a read lock to a write lock (which fails at once under contention).
- `postgresql://` (or `postgres://`, `postgresql+psycopg://`): psycopg 3 through SQLAlchemy's
  connection pool, connections checked before use. libpq parameters pass through the URL's
  query, e.g. `?options=-csearch_path%3Ddlrkit` to keep the tables in a schema of their own.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from dlrkit.errors import InputError


def engine_for(url: str, *, pool_size: int) -> sa.Engine:
    """A SQLAlchemy engine for a `sqlite:///FILE` or `postgresql://` URL, set up for the store."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise InputError(f"not a database URL: {url!r}", field="url") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise InputError(
                "SQLite needs a file (sqlite:///path/to/dlrkit.db), not an in-memory database",
                field="url",
            )
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, pool_size=pool_size, max_overflow=2)
        _sqlite_setup(engine)
        return engine
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_size=pool_size, max_overflow=2, pool_pre_ping=True)
    raise InputError(
        f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://...", field="url"
    )


BUSY_TIMEOUT_MS = 30_000


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, waiting for other openers. Switching a new file to WAL needs
    an exclusive lock, and SQLite answers "database is locked" at once, without its busy
    handler, when another connection opening the same file holds a lock at that moment (stores
    opened together on a new file): so try again until the busy timeout has passed."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


def _sqlite_setup(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun explicitly, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # writers take the write lock up front: no deadlock-prone upgrade from a read lock
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def transaction(engine: sa.Engine, *, write: bool) -> Iterator[sa.Connection]:
    """A connection in a transaction, committed on exit (rolled back on an exception)."""
    mode = "IMMEDIATE" if write else "DEFERRED"
    with engine.connect().execution_options(sqlite_begin=mode) as connection, connection.begin():
        yield connection


def dialect_insert(connection: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both dialects spell it alike)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
