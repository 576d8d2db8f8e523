"""The write path's statements straight on the DB-API, inside the caller's SQLAlchemy transaction.

The ingest transaction runs a handful of statements per group of reports, each with many rows.
Through SQLAlchemy Core every row pays for bind processors, parameter dictionaries and result
rows (~30 µs a report on SQLite, more than SQLite's own work for some statements); here the
rows are tuples handed to the driver's cursor as they are. The SQL is plain text that both
databases read alike (INSERT .. ON CONFLICT .. RETURNING, `excluded`), with `?` placeholders
turned into psycopg's `%s` for PostgreSQL. Values are spelled as SQLAlchemy's column types
would spell them (`Raw.time`: SQLite keeps a UTC time as fixed-width text; booleans are
integers there), which `tests/store/test_dbapi.py` checks against SQLAlchemy itself.

Only the hot statements live here; everything else (queries, suppressions, keys) stays on
SQLAlchemy Core.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from dlrkit.store.schema import UTC

Row = tuple[Any, ...]
CHUNK = 64  # rows per multi-row INSERT .. RETURNING (fixed sizes: few statements to prepare)


class Raw:
    """The DB-API cursor of a SQLAlchemy connection's current transaction."""

    def __init__(self, connection: sa.Connection):
        self.sqlite = connection.dialect.name == "sqlite"
        self._cursor = connection.connection.cursor()
        self._texts: dict[str, str] = {}

    def _sql(self, text: str) -> str:
        if self.sqlite:
            return text
        found = self._texts.get(text)
        if found is None:
            found = self._texts[text] = text.replace("?", "%s")
        return found

    def time(self, value: dt.datetime) -> Any:
        """A UTC datetime as its column keeps it (SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff')."""
        if self.sqlite:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def rows(self, text: str, values: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(self._sql(text), values)
        return list(self._cursor.fetchall())

    def many(self, text: str, rows: Sequence[Row]) -> None:
        """One statement per row (no rows returned), prepared once."""
        if rows:
            self._cursor.executemany(self._sql(text), rows)

    def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Row], tail: str
    ) -> list[Row]:
        """INSERT INTO table (columns) VALUES <rows> `tail` (ON CONFLICT .. RETURNING ..), in
        multi-row statements of at most CHUNK rows, in order; the rows they return."""
        found: list[Row] = []
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        one = "(" + ", ".join("?" * len(columns)) + ")"
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            text = head + ", ".join([one] * len(chunk)) + " " + tail
            found += self.rows(text, [value for row in chunk for value in row])
        return found


def upsert(table: str, columns: Sequence[str], key: Sequence[str], update: Iterable[str]) -> str:
    """INSERT .. ON CONFLICT (key) DO UPDATE SET each of `update` to the excluded row's value."""
    values = ", ".join("?" * len(columns))
    changes = ", ".join(f"{name} = excluded.{name}" for name in update)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {changes}"
    )
