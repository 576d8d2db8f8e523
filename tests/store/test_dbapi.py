"""The write path's DB-API statements spell values as SQLAlchemy's column types do."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dlrkit.store.dbapi import Raw
from dlrkit.store.schema import UTC, UtcDateTime
from dlrkit.store.sql import SqlStore

MOMENTS = (
    dt.datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
    dt.datetime(2025, 3, 1, 8, 0, 0, 123, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
)


def test_times_and_booleans_are_stored_as_sqlalchemy_stores_them(store: SqlStore) -> None:
    table = sa.Table(
        "spelling", sa.MetaData(), sa.Column("at", UtcDateTime()), sa.Column("flag", sa.Boolean())
    )
    engine = store._require().engine
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(table.insert(), [{"at": m, "flag": True} for m in MOMENTS])
        raw = Raw(connection)
        raw.many(
            "INSERT INTO spelling (at, flag) VALUES (?, ?)", [(raw.time(m), True) for m in MOMENTS]
        )
        stored = connection.execute(sa.select(table.c.at, table.c.flag)).all()
        assert stored == [(m.astimezone(UTC), True) for m in MOMENTS] * 2
        as_text = connection.execute(sa.select(sa.cast(table.c.at, sa.String))).scalars().all()
        assert as_text[:3] == as_text[3:]  # the same text (SQLite) or the same value (PostgreSQL)
        table.drop(connection)
