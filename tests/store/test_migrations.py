"""Migrations: an empty database comes up to date, twice is a no-op, and matches schema.py."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dlrkit.errors import InputError
from dlrkit.outcome import Outcome
from dlrkit.store import default_url, migrate, open_store
from dlrkit.store.base import Incoming
from dlrkit.store.engine import engine_for, transaction
from dlrkit.store.schema import metadata, outcomes, reports
from dlrkit.store.sql import SqlStore
from dlrkit.store.write import apply, combine, current_outcomes

from .test_rollups import outcome_row, report_row
from .traffic import traffic

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
            assert migrate.current(connection) == migrate.head() == "0003"
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


def test_revision_0003_keeps_the_stored_reports_and_outcomes(url: str) -> None:
    """A database written at revision 0002 migrates with every row kept, and the store reads
    and extends it as if it had been written at the head."""
    sent = traffic(messages=40, reports=120, seed=3).reports
    first, later = sent[:80], sent[80:]
    engine = engine_for(url, pool_size=1)
    try:
        with transaction(engine, write=True) as connection:
            command.upgrade(migrate._config(connection), "0002")
        with transaction(engine, write=True) as connection:
            apply_at_0002(connection, first)
        with engine.connect() as connection:
            before = {
                table: sorted(connection.execute(sa.select(t)).all())
                for table, t in (("reports", reports), ("outcomes", outcomes))
            }
        migrate.upgrade(engine)
        with engine.connect() as connection:
            for table, t in (("reports", reports), ("outcomes", outcomes)):
                assert sorted(connection.execute(sa.select(t)).all()) == before[table]
            inspector = sa.inspect(connection)
            assert inspector.get_pk_constraint("outcomes")["constrained_columns"] == [
                "message_id",
                "provider",
            ]
            assert inspector.get_pk_constraint("reports")["constrained_columns"] == [
                "provider",
                "message_id",
                "report_key",
            ]
            assert not {i["name"] for i in inspector.get_indexes("reports")}
            assert "ix_outcomes_message_id" not in {
                i["name"] for i in inspector.get_indexes("outcomes")
            }
    finally:
        engine.dispose()

    async def more() -> None:
        store = SqlStore(url)
        await store.open()
        try:
            stored = await store.ingest(first[:5] + later)
            assert [s.duplicate for s in stored] == [True] * 5 + [False] * len(later)
            key = (sent[0].outcome.provider, sent[0].outcome.message_id)
            message = await store.message(key[1], key[0])
            assert message is not None
            mine = [i.report_key for i in sent if (i.outcome.provider, i.outcome.message_id) == key]
            assert sorted(h.report_key for h in message.history) == sorted(set(mine))
        finally:
            await store.close()

    run(more())


def apply_at_0002(connection: sa.Connection, items: list[Incoming]) -> None:
    """What revision 0002 stored for `items`: the reports, and each message's merged outcome."""
    merged: dict[tuple[str, str], Outcome] = {}
    kept: dict[str, Incoming] = {}
    for i in items:
        kept.setdefault(i.report_key, i)
    for i in kept.values():
        key = (i.outcome.provider, i.outcome.message_id)
        merged[key] = combine(merged[key], i.outcome) if key in merged else i.outcome
    stamp = dt.datetime.now(dt.UTC)
    connection.execute(reports.insert(), [report_row(i) for i in kept.values()])
    connection.execute(outcomes.insert(), [outcome_row(o, stamp) for o in merged.values()])


def test_the_write_path_searches_the_keys_never_scans(tmp_path: Path) -> None:
    """SQLite: every query of the ingest transaction (merging reports into stored outcomes,
    suppressing, counting) is an index search, never a scan of reports or outcomes. (A
    row-value IN, `(provider, message_id) IN (VALUES ...)`, is a scan of all outcomes.)"""
    url = default_url(tmp_path)
    sent = traffic(messages=300, reports=900, seed=4).reports
    store = SqlStore(url)
    run(store.open())
    run(store.ingest(sent[:600]))
    run(store.close())
    engine = engine_for(url, pool_size=1)
    statements: list[str] = []
    sa.event.listen(
        engine, "connect", lambda connection, _: connection.set_trace_callback(statements.append)
    )
    try:
        with transaction(engine, write=True) as connection:
            connection.exec_driver_sql("ANALYZE")
            statements.clear()
            apply(connection, sent[300:])  # repeats, updates and new messages
            keys = sorted({(i.outcome.provider, i.outcome.message_id) for i in sent[:50]})
            assert len(current_outcomes(connection, keys)) == len(keys)
            queries = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
            assert queries
            for query in queries:
                plan = [
                    row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}")
                ]
                scans = [step for step in plan if step.startswith("SCAN")]
                assert not scans, (query[:120], plan)
    finally:
        engine.dispose()


def test_the_look_ups_of_a_message_use_the_keys(tmp_path: Path) -> None:
    """SQLite: the queries' look-ups of a message and its history are index searches."""
    url = default_url(tmp_path)
    store = SqlStore(url)
    run(store.open())
    run(store.ingest(traffic(messages=300, reports=900, seed=4).reports))
    run(store.close())
    plans = {
        "a message at any provider": (
            "SELECT provider FROM outcomes WHERE message_id = ? LIMIT 10",
            ["a"],
        ),
        "a message at one provider": (
            "SELECT provider FROM outcomes WHERE message_id = ? AND provider = ? LIMIT 10",
            ["a", "infobip"],
        ),
        "a message's history": (
            "SELECT * FROM reports WHERE provider = ? AND message_id = ? "
            "ORDER BY received_at, report_key",
            ["infobip", "a"],
        ),
    }
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            for name, (query, values) in plans.items():
                plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}", tuple(values))
                steps = [row[-1] for row in plan]
                assert any(s.startswith("SEARCH") for s in steps), (name, steps)
                assert not any(s.startswith("SCAN") for s in steps), (name, steps)
    finally:
        engine.dispose()
