"""Migrations: an empty database comes up to date, twice is a no-op, and matches schema.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dlrkit.errors import InputError
from dlrkit.store import default_url, migrate, open_store
from dlrkit.store.engine import engine_for
from dlrkit.store.schema import metadata
from dlrkit.store.sql import SqlStore

run = asyncio.run
TABLES = {
    "api_keys",
    "dlrkit_alembic_version",
    "outcomes",
    "reports",
    "suppressions",
    "unknown_codes",
    *(f"rollup_{cube}" for cube in ("states", "reasons", "operators", "codes", "latency")),
}


def test_upgrade_brings_an_empty_database_to_head_and_is_idempotent(url: str) -> None:
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            assert migrate.current(connection) is None
            assert set(sa.inspect(connection).get_table_names()) == set()
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO api_keys VALUES ('k', 'n', 'p', 'h', '2025-01-01', NULL)")
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert migrate.current(connection) == migrate.head() == "0002"
            assert set(sa.inspect(connection).get_table_names()) == TABLES
            assert connection.execute(sa.text("SELECT count(*) FROM api_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_the_migrated_schema_is_schema_py(store: SqlStore) -> None:
    engine = engine_for(store.url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": migrate.VERSION_TABLE}
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_stores_opening_at_once_migrate_once(url: str) -> None:
    async def scenario() -> None:
        stores = [SqlStore(url) for _ in range(3)]
        await asyncio.gather(*(s.open() for s in stores))
        await asyncio.gather(*(s.close() for s in stores))

    run(scenario())
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            assert migrate.current(connection) == migrate.head()
    finally:
        engine.dispose()


def test_sqlite_is_durable_on_every_commit(tmp_path: Path) -> None:
    engine = engine_for(default_url(tmp_path), pool_size=1)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        engine.dispose()


def test_default_url_and_factory(tmp_path: Path) -> None:
    url = default_url(tmp_path / "data")
    assert url == f"sqlite:///{tmp_path.resolve()}/data/dlrkit.db"
    store = open_store(url)
    assert isinstance(store, SqlStore)
    run(store.open())
    run(store.close())
    assert (tmp_path / "data" / "dlrkit.db").is_file()


@pytest.mark.parametrize(
    "bad_url",
    ["mysql://localhost/db", "sqlite://", "sqlite:///:memory:", "not a url"],
    ids=["mysql", "memory", "memory-named", "garbage"],
)
def test_unusable_urls_are_refused_clearly(bad_url: str) -> None:
    with pytest.raises(InputError) as raised:
        run(SqlStore(bad_url).open())
    assert raised.value.field == "url"
