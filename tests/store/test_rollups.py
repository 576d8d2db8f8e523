"""Rollups: always equal to a GROUP BY over the current outcomes, whatever the order, repetition
and concurrency of the reports, and after migrating a database that already held outcomes."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from alembic import command

from dlrkit.fold import fold
from dlrkit.outcome import Outcome
from dlrkit.store import migrate
from dlrkit.store.base import Incoming
from dlrkit.store.engine import engine_for, transaction
from dlrkit.store.schema import metadata, outcomes, parse_time, reports, unknown_codes
from dlrkit.store.sql import SqlStore
from dlrkit.store.write import combine, encode

from .insight_traffic import mixed_traffic
from .test_ingest import ingest_concurrently
from .traffic import incoming, iso

run = asyncio.run
UTC = dt.UTC
EDGES = (1, 5, 30, 60, 300, 1800, 3600)
Cubes = dict[str, Counter[tuple[Any, ...]]]
PLACE = (outcomes.c.provider, outcomes.c.channel, sa.func.coalesce(outcomes.c.country, ""))
COLUMNS = {  # the cubes a SQL GROUP BY can compute (codes and latency need the outcome's JSON)
    "states": (*PLACE, outcomes.c.state),
    "reasons": (*PLACE, outcomes.c.state, outcomes.c.reason),
    "operators": (*PLACE, sa.func.coalesce(outcomes.c.operator, ""), outcomes.c.state),
}
CUBES = ("states", "reasons", "operators", "codes", "latency")


GRAINS = ("hour", "day", "week")


def _truncate(connection: sa.Connection, grain: str) -> Any:
    """SQL for the start of received_at's UTC hour, day or week (Monday)."""
    if connection.dialect.name == "postgresql":
        return sa.func.date_trunc(grain, outcomes.c.received_at, "UTC")
    if grain == "week":  # SQLite: the Monday on or before the date
        return sa.func.date(outcomes.c.received_at, "-6 days", "weekday 1")
    return sa.func.substr(outcomes.c.received_at, 1, 13 if grain == "hour" else 10)


def _bucket(value: Any) -> dt.datetime:
    """A truncated received_at as the database gave it, as an aware UTC datetime."""
    if isinstance(value, str):  # SQLite: "2025-03-01 08" or "2025-03-01"
        form = "%Y-%m-%d %H" if len(value) > 10 else "%Y-%m-%d"
        return dt.datetime.strptime(value, form).replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _at(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).astimezone(UTC) if text else None


def _starts(at: dt.datetime) -> list[tuple[str, dt.datetime]]:
    hour = at.replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0)
    return [("hour", hour), ("day", day), ("week", day - dt.timedelta(days=day.weekday()))]


def group_by(url: str) -> Cubes:
    """What the rollups must hold, computed from `outcomes` alone (independently of rollups.py):
    cube -> {(grain, bucket, *keys): count}."""
    expected: Cubes = defaultdict(Counter)
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            for grain in GRAINS:
                bucket = _truncate(connection, grain)
                for cube, columns in COLUMNS.items():
                    keys = [bucket, *columns]
                    query = sa.select(*keys, sa.func.count()).group_by(*keys)
                    for at, *key, n in connection.execute(query):
                        expected[cube][(grain, _bucket(at), *key)] = n
            stored = [
                msgspec.json.decode(t, type=Outcome)
                for t in connection.execute(sa.select(outcomes.c.outcome)).scalars()
            ]
    finally:
        engine.dispose()
    for o in stored:
        where = (o.provider, o.channel.value, o.country or "")
        unknown = iter(o.unknown_codes)
        codes = {(c.kind, c.entry if c.known else next(unknown), c.known) for c in o.codes}
        sent, done = _at(o.sent_at), _at(o.done_at)
        for grain, at in _starts(_at(o.received_at) or dt.datetime.now(UTC)):
            for code in codes:
                expected["codes"][(grain, at, *where, o.state.value, *code)] += 1
            if o.final and sent and done:
                b = sum(1 for edge in EDGES if (done - sent).total_seconds() >= edge)
                expected["latency"][(grain, at, *where, b)] += 1
    return expected


def rollups(url: str) -> Cubes:
    """The rollup tables' non-zero cells: cube -> {(grain, bucket, *keys): count}."""
    found: Cubes = defaultdict(Counter)
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            for cube in CUBES:
                table = metadata.tables[f"rollup_{cube}"]
                for row in connection.execute(sa.select(table).where(table.c.count != 0)):
                    *key, n = row
                    found[cube][tuple(key)] = n
    finally:
        engine.dispose()
    return found


def at_grain(cells: Counter[tuple[Any, ...]], grain: str) -> dict[tuple[Any, ...], int]:
    return {key[1:]: n for key, n in cells.items() if key[0] == grain}


def assert_rollups_are_group_by(url: str) -> Cubes:
    expected, stored = group_by(url), rollups(url)
    assert sorted(stored) == sorted(expected) == sorted(CUBES)
    for cube in CUBES:
        assert stored[cube] == expected[cube], cube
        for grain in GRAINS:  # every grain counts every message once
            assert sum(at_grain(stored[cube], grain).values()) == sum(
                at_grain(stored[cube], "hour").values()
            )
    return stored


def test_rollups_equal_group_by_after_shuffled_repeated_concurrent_ingests(store: SqlStore) -> None:
    sent = mixed_traffic(messages=600, seed=3)
    rng = random.Random(4)
    items = sent * 2 + rng.sample(sent, len(sent) // 3)  # twice each, a third of them thrice
    rng.shuffle(items)
    run(ingest_concurrently(store, items, tasks=24, seed=5))
    stored = assert_rollups_are_group_by(store.url)
    # the data set reaches every corner: days, hours, every latency bin, unknown codes
    assert len({k[0] for k in at_grain(stored["states"], "week")}) == 2  # Sat 1 to Mon 3 March
    assert len({k[0] for k in at_grain(stored["states"], "day")}) >= 3
    assert len({k[0] for k in at_grain(stored["reasons"], "hour")}) > 60
    assert {k[-1] for k in stored["latency"]} == set(range(8))
    assert any(k[-1] is False or k[-1] == 0 for k in stored["codes"])
    assert sum(at_grain(stored["reasons"], "hour").values()) == 600


def test_a_late_early_report_moves_the_message_to_its_first_hour(store: SqlStore) -> None:
    first, *_, last = [
        i for i in mixed_traffic(messages=40, seed=6) if i.outcome.message_id.endswith("00007")
    ]
    early = msgspec.structs.replace(first.outcome, received_at="2025-03-01T06:59:59.999Z")
    late = msgspec.structs.replace(last.outcome, received_at="2025-03-01T09:00:00.000Z")
    run(store.ingest([incoming(late)]))
    assert {k[0].hour for k in at_grain(rollups(store.url)["states"], "hour")} == {9}
    run(store.ingest([incoming(early)]))
    hours = at_grain(rollups(store.url)["states"], "hour")
    assert [(k[0].hour, k[4], n) for k, n in hours.items()] == [(6, late.state.value, 1)]
    assert_rollups_are_group_by(store.url)


@pytest.mark.parametrize("fresh_url", ["postgresql"], indirect=True)
def test_two_postgresql_stores_at_once_keep_rollups_exact(fresh_url: Callable[[], str]) -> None:
    url = fresh_url()
    sent = mixed_traffic(messages=500, seed=7)

    async def both() -> None:
        first, second = SqlStore(url), SqlStore(url)
        await asyncio.gather(first.open(), second.open())
        mine, theirs = sent * 2, list(sent)
        random.Random(8).shuffle(mine)
        random.Random(9).shuffle(theirs)
        await asyncio.gather(
            ingest_concurrently(first, mine, tasks=16, seed=10),
            ingest_concurrently(second, theirs, tasks=16, seed=11),
        )
        await asyncio.gather(first.close(), second.close())

    run(both())
    assert sum(at_grain(assert_rollups_are_group_by(url)["operators"], "day").values()) == 500


def expected_unknown(items: list[Incoming]) -> dict[str, tuple[int, str, str, str]]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in {i.report_key: i for i in items}.values():
        for code in set(item.outcome.unknown_codes):
            found[code].append((item.outcome.received_at or "", item.report_key))
    return {
        code: (len(seen), min(seen)[0], max(seen)[0], min(seen)[1]) for code, seen in found.items()
    }


def stored_unknown(url: str) -> dict[str, tuple[int, str, str, str]]:
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(unknown_codes)).all()
    finally:
        engine.dispose()
    return {r.code: (r.count, iso(r.first_seen), iso(r.last_seen), r.report_key) for r in rows}


def test_unknown_codes_are_counted_once_per_distinct_report(store: SqlStore) -> None:
    sent = mixed_traffic(messages=300, seed=12)
    items = sent * 3
    random.Random(13).shuffle(items)
    run(ingest_concurrently(store, items, tasks=8, seed=14))
    expected = expected_unknown(sent)
    assert len(expected) == 6  # two unknown error codes at three providers
    assert stored_unknown(store.url) == expected
    top = run(store.unknown_codes(limit=2))
    ranked = sorted(expected.items(), key=lambda kv: (-kv[1][0], kv[0]))
    assert [(u.code, u.count, u.first_seen, u.last_seen, u.report_key) for u in top] == [
        (code, *seen) for code, seen in ranked[:2]
    ]


def report_row(item: Incoming) -> dict[str, Any]:
    """A row of `reports` as revision 0001 stored it."""
    o = item.outcome
    return {
        "report_key": item.report_key,
        "provider": o.provider,
        "message_id": o.message_id,
        "received_at": parse_time(o.received_at or "", "received_at"),
        "state": o.state.value,
        "reason": o.reason.value,
        "outcome": encode(o).decode(),
    }


def outcome_row(o: Outcome, updated_at: dt.datetime) -> dict[str, Any]:
    """A row of `outcomes` as revision 0001 stored it."""
    return {
        "provider": o.provider,
        "message_id": o.message_id,
        "received_at": parse_time(o.received_at or "", "received_at"),
        "updated_at": updated_at,
        "channel": o.channel.value,
        "state": o.state.value,
        "final": o.final,
        "reason": o.reason.value,
        "retry": o.retry.value,
        "party": o.party.value,
        "recipient": o.recipient,
        "country": o.country,
        "operator": o.operator,
        "reports": o.reports,
        "outcome": encode(o).decode(),
    }


def test_upgrading_a_database_with_outcomes_computes_its_rollups(url: str) -> None:
    sent = mixed_traffic(messages=200, seed=15)
    engine = engine_for(url, pool_size=1)
    try:
        with transaction(engine, write=True) as connection:
            command.upgrade(migrate._config(connection), "0001")
        with transaction(engine, write=True) as connection:  # what revision 0001 stored
            connection.execute(reports.insert(), [report_row(i) for i in sent])
            merged: dict[tuple[str, str], Outcome] = {}
            for i in sent:
                key = (i.outcome.provider, i.outcome.message_id)
                merged[key] = combine(merged[key], i.outcome) if key in merged else i.outcome
            stamp = dt.datetime.now(UTC)
            connection.execute(outcomes.insert(), [outcome_row(o, stamp) for o in merged.values()])
        assert len(fold(i.outcome for i in sent)) == len(merged) == 200
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert sum(at_grain(assert_rollups_are_group_by(url)["states"], "week").values()) == 200
    assert stored_unknown(url) == expected_unknown(sent)
