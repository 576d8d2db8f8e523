"""Rollups: counts of the current outcomes per time bucket and dimension, kept exact at ingest.

Five cubes, one table each, each as narrow as the questions it answers (a wider cube has more
cells to read). Each counts outcomes at three grains of `received_at`, UTC: its hour, its day
and its week (from Monday), so that a long period is read mostly as weeks and days:

- states (provider, channel, country, state): the delivery rate;
- reasons (provider, channel, country, state, reason): failures by reason, provider, channel
  and country;
- operators (provider, channel, country, operator, state): failures by operator;
- codes (provider, channel, country, state, kind, code, known): one cell per distinct native
  code of a message, named "namespace:kind:channel:code" as `explain` takes it;
- latency (provider, channel, country, bin): final messages giving `sent_at` and `done_at`, by
  the bin of the seconds between them (`BOUNDS`; a negative time counts as 0).

A missing country or operator is '' in a key, so that keys are never NULL. The invariant:
each cube equals a GROUP BY over the current `outcomes` (tests/store/test_rollups.py proves it
after shuffled, repeated, concurrent ingests). The ingest transaction keeps it: when a message's
merged outcome changes, the cells of the old outcome lose one and those of the new one gain one;
deltas are summed per cell, zeros dropped, and each table gets one INSERT .. ON CONFLICT DO
UPDATE SET count = count + excluded.count, in key order, so concurrent writers lock cells in
one order and cannot deadlock. Cells that fall to zero stay (readers ignore them).

`unknown_codes` is counted per distinct report (not per message): how often, first and last
seen, and the earliest report that carried the code.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dlrkit.outcome import Outcome
from dlrkit.store.base import Incoming
from dlrkit.store.dbapi import Raw
from dlrkit.store.schema import UTC, cube_tables, parse_time, unknown_codes

BOUNDS = (1, 5, 30, 60, 300, 1800, 3600)  # latency bin i holds BOUNDS[i-1] <= seconds < BOUNDS[i]
CODE_LENGTH = 255

Key = tuple[Any, ...]
Delta = defaultdict[sa.Table, Counter[Key]]


def label(text: str, longest: int = CODE_LENGTH) -> str:
    """Text a key column can hold: no NUL (PostgreSQL refuses it), at most `longest` long."""
    return text.replace("\x00", "\ufffd")[:longest]


def code_keys(o: Outcome) -> set[tuple[str, str, bool]]:
    """(kind, "namespace:kind:channel:code", known) for each distinct native code of `o`."""
    unknown = iter(o.unknown_codes)  # named in the order of the unknown codes among `codes`
    found = set()
    for c in o.codes:
        if c.known and c.entry:
            ref = c.entry
        else:
            ref = next(unknown, None) or f"{o.provider}:{c.kind}:{c.channel}:{c.code}"
        found.add((label(c.kind, 32), label(ref), bool(c.known)))
    return found


def _moment(text: str | None) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def latency_bin(o: Outcome) -> int | None:
    """The latency bin of a final outcome giving sent_at and done_at, else None."""
    if not o.final:
        return None
    sent, done = _moment(o.sent_at), _moment(o.done_at)
    if sent is None or done is None:
        return None
    return bisect.bisect_right(BOUNDS, (done - sent).total_seconds())


def _place(o: Outcome) -> Key:
    return (o.provider, o.channel.value, o.country or "")


def _states(o: Outcome) -> Iterable[Key]:
    yield (*_place(o), o.state.value)


def _reasons(o: Outcome) -> Iterable[Key]:
    yield (*_place(o), o.state.value, o.reason.value)


def _operators(o: Outcome) -> Iterable[Key]:
    yield (*_place(o), o.operator or "", o.state.value)


def _codes(o: Outcome) -> Iterable[Key]:
    base = (*_place(o), o.state.value)
    return ((*base, *key) for key in code_keys(o))


def _latency(o: Outcome) -> Iterable[Key]:
    found = latency_bin(o)
    if found is not None:
        yield (*_place(o), found)


class Cube(NamedTuple):
    table: sa.Table
    cells: Callable[[Outcome], Iterable[Key]]  # the keys (grain, bucket excluded) it counts in


def _cube(name: str, cells: Callable[[Outcome], Iterable[Key]]) -> Cube:
    return Cube(cube_tables[name], cells)


STATES = _cube("states", _states)
REASONS = _cube("reasons", _reasons)
OPERATORS = _cube("operators", _operators)
CODES = _cube("codes", _codes)
LATENCY = _cube("latency", _latency)
CUBES = (STATES, REASONS, OPERATORS, CODES, LATENCY)


def new_delta() -> Delta:
    return defaultdict(Counter)


def buckets(received_at: str) -> tuple[tuple[str, dt.datetime], ...]:
    """(grain, bucket) of each grain a (validated) `received_at` counts in."""
    if len(received_at) >= 20 and received_at[-1] == "Z" and received_at[13] == ":":
        return _hour_buckets(received_at[:13])  # UTC already: the hour is in the text
    return _buckets(parse_time(received_at, "received_at"))


@functools.lru_cache(maxsize=1024)
def _hour_buckets(hour: str) -> tuple[tuple[str, dt.datetime], ...]:
    """`buckets` of a UTC time given as its hour, 'YYYY-MM-DDTHH': computed once per hour."""
    return _buckets(parse_time(hour + ":00:00Z", "received_at"))


def _buckets(moment: dt.datetime) -> tuple[tuple[str, dt.datetime], ...]:
    hour = moment.replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0)
    return (("hour", hour), ("day", day), ("week", day - dt.timedelta(days=day.weekday())))


def count(delta: Delta, o: Outcome, times: int = 1) -> None:
    """Add `times` of outcome `o` to every cell it counts in (negative: take away)."""
    grains = buckets(o.received_at or "")
    for cube in CUBES:
        cells = delta[cube.table]
        for key in cube.cells(o):
            for grain, bucket in grains:
                cells[(grain, bucket, *key)] += times


@functools.cache
def _statement(table: sa.Table) -> str:
    """INSERT .. ON CONFLICT DO UPDATE SET count = count + excluded.count, as DB-API text."""
    names = [c.name for c in table.primary_key.columns]
    values = ", ".join("?" * (len(names) + 1))
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}, count) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(names)}) DO UPDATE SET count = {table.name}.count + excluded.count"
    )


def write(connection: sa.Connection, delta: Delta) -> None:
    """Add `delta` to the rollup tables (cells in key order, zero changes skipped)."""
    raw = Raw(connection)
    times: dict[dt.datetime, Any] = {}
    for cube in CUBES:
        cells = delta.get(cube.table)
        if not cells:
            continue
        rows = []
        for (grain, bucket, *key), n in sorted(cells.items()):
            if n:
                at = times.get(bucket)
                if at is None:
                    at = times[bucket] = raw.time(bucket)
                rows.append((grain, at, *key, n))
        raw.many(_statement(cube.table), rows)


def apply_changes(
    connection: sa.Connection, changes: Iterable[tuple[Outcome | None, Outcome]]
) -> None:
    """Move each message's counts from its outcome before (None: new message) to after."""
    delta = new_delta()
    for before, after in changes:
        if before is not None:
            count(delta, before, -1)
        count(delta, after)
    write(connection, delta)


def count_unknown(connection: sa.Connection, new_reports: Sequence[Incoming]) -> None:
    """Count the unknown codes of reports stored for the first time."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[dt.datetime, str]] = {}  # the earliest report: (received_at, key)
    last: dict[str, dt.datetime] = {}
    for item in new_reports:
        at = _moment(item.outcome.received_at) or dt.datetime.now(UTC)
        for code in {label(c) for c in item.outcome.unknown_codes}:
            counts[code] += 1
            first[code] = min(first.get(code, (at, item.report_key)), (at, item.report_key))
            last[code] = max(last.get(code, at), at)
    rows = [
        {
            "code": code,
            "first_seen": first[code][0],
            "last_seen": last[code],
            "count": n,
            "report_key": first[code][1],
        }
        for code, n in sorted(counts.items())
    ]
    if rows:
        connection.execute(_count_unknown_statement(connection.dialect.name), rows)


@functools.cache
def _count_unknown_statement(dialect: str) -> Any:
    table = unknown_codes
    pg = dialect == "postgresql"
    upsert = (postgresql.insert if pg else sqlite.insert)(table)
    new = upsert.excluded
    least, greatest = (sa.func.least, sa.func.greatest) if pg else (sa.func.min, sa.func.max)
    earlier = sa.or_(
        new.first_seen < table.c.first_seen,
        sa.and_(new.first_seen == table.c.first_seen, new.report_key < table.c.report_key),
    )
    return upsert.on_conflict_do_update(
        index_elements=["code"],
        set_={
            "count": table.c.count + new.count,
            "first_seen": least(table.c.first_seen, new.first_seen),
            "last_seen": greatest(table.c.last_seen, new.last_seen),
            "report_key": sa.case((earlier, new.report_key), else_=table.c.report_key),
        },
    )
