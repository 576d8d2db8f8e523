"""Insight queries, answered from the rollups (never by scanning `outcomes`).

A period [since, until) is widened to the UTC hours it touches, then read as few rows as
possible: the whole UTC days inside it from the daily tables, the hours at either edge from the
hourly ones (an hourly series reads the hourly tables only). Each part is one GROUP BY over a
primary-key range; the parts are added up here. The cost of an answer grows with the period and
the variety of the traffic (the number of cells), not with the number of stored outcomes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from dlrkit.errors import InputError
from dlrkit.outcome import Channel
from dlrkit.store.base import (
    DeliveryRate,
    Failures,
    FailureSlice,
    InsightFilter,
    Latency,
    LatencyBin,
    RatePoint,
    UnknownCode,
)
from dlrkit.store.rollups import BOUNDS, CODES, LATENCY, OPERATORS, REASONS, STATES, Cube
from dlrkit.store.schema import iso, parse_time, unknown_codes
from dlrkit.store.validate import text_problem
from dlrkit.vocab import State

HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
MAX_POINTS = 2000  # buckets in one series
FAILED = (State.UNDELIVERED.value, State.REJECTED.value, State.EXPIRED.value)
DIMENSIONS = ("reason", "code", "provider", "channel", "country", "operator")
BUCKETS = ("hour", "day")

Read = Callable[[sa.Select[Any]], list[Any]]  # runs a query, returns its rows


class Period:
    """A checked InsightFilter: the hour-aligned range and the filter conditions."""

    def __init__(self, flt: InsightFilter):
        since = parse_time(flt.since, "since") if isinstance(flt.since, str) else None
        until = parse_time(flt.until, "until") if isinstance(flt.until, str) else None
        if since is None or until is None:
            raise InputError("both since and until are required", field="since")
        self.since = since.replace(minute=0, second=0, microsecond=0)
        self.until = _ceil_hour(until)
        if self.until <= self.since:
            raise InputError("must be later than since", field="until")
        self.equal: dict[str, str] = {}
        for name in ("provider", "channel", "country"):
            value = getattr(flt, name)
            if value is None:
                continue
            problem = text_problem(value, 64) if isinstance(value, str) else "must be a string"
            if problem is None and name == "channel" and value not in tuple(Channel):
                problem = f"unknown value {value!r}; one of: {', '.join(Channel)}"
            if problem is not None:
                raise InputError(problem, field=name)
            self.equal[name] = value

    def parts(self, *, hourly_only: bool = False) -> list[tuple[str, dt.datetime, dt.datetime]]:
        """(grain, start, end) ranges covering the period: whole days daily, edges hourly."""
        first_day = _ceil_day(self.since)
        last_day = self.until.replace(hour=0)
        if hourly_only or first_day >= last_day:
            return [("hour", self.since, self.until)]
        parts = [("hour", self.since, first_day), ("day", first_day, last_day)]
        parts.append(("hour", last_day, self.until))
        return [p for p in parts if p[1] < p[2]]

    def select(
        self, cube: Cube, columns: list[str], *, hourly_only: bool = False, failed: bool = False
    ) -> list[sa.Select[Any]]:
        """One `SELECT columns, SUM(count) ... GROUP BY columns` per part of the period."""
        queries = []
        for grain, start, end in self.parts(hourly_only=hourly_only):
            table = cube.hour if grain == "hour" else cube.day
            keys = [table.c[c] for c in columns]
            where = [table.c.bucket >= start, table.c.bucket < end]
            where += [table.c[name] == value for name, value in self.equal.items()]
            if failed:
                where.append(table.c.state.in_(FAILED))
            total = sa.func.sum(table.c.count).label("n")
            queries.append(sa.select(*keys, total).where(*where).group_by(*keys))
        return queries


def _ceil_hour(at: dt.datetime) -> dt.datetime:
    floor = at.replace(minute=0, second=0, microsecond=0)
    return floor if floor == at else floor + HOUR


def _ceil_day(at: dt.datetime) -> dt.datetime:
    floor = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return floor if floor == at else floor + DAY


def _point(bucket: dt.datetime, counts: dict[str, int]) -> RatePoint:
    by = {s.value: counts.get(s.value, 0) for s in State}
    final = sum(by[s.value] for s in State if s.final)
    return RatePoint(
        bucket=iso(bucket),
        total=sum(by.values()),
        rate=by[State.DELIVERED] / final if final else None,
        **by,
    )


def delivery_rate(read: Read, flt: InsightFilter, bucket: str) -> DeliveryRate:
    if bucket not in BUCKETS:
        raise InputError(f"unknown bucket {bucket!r}; one of: hour, day", field="bucket")
    period = Period(flt)
    step = HOUR if bucket == "hour" else DAY
    start = period.since if bucket == "hour" else period.since.replace(hour=0)
    if (period.until - start) / step > MAX_POINTS:
        raise InputError(
            f"more than {MAX_POINTS} {bucket}s: ask for a shorter period", field="until"
        )
    counts: defaultdict[dt.datetime, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for query in period.select(STATES, ["bucket", "state"], hourly_only=bucket == "hour"):
        for at, state, n in read(query):
            key = at if bucket == "hour" else at.replace(hour=0)
            counts[key][state] += int(n)
    points = []
    at = start
    while at < period.until:
        points.append(_point(at, counts.get(at, {})))
        at += step
    overall: defaultdict[str, int] = defaultdict(int)
    for by_state in counts.values():
        for state, n in by_state.items():
            overall[state] += n
    return DeliveryRate(
        since=iso(period.since),
        until=iso(period.until),
        bucket=bucket,
        summary=_point(period.since, overall),
        points=tuple(points),
    )


def failures_by(read: Read, dimension: str, flt: InsightFilter, limit: int) -> Failures:
    if dimension not in DIMENSIONS:
        raise InputError(
            f"unknown dimension {dimension!r}; one of: {', '.join(DIMENSIONS)}", field="dimension"
        )
    if not 1 <= limit <= 1000:
        raise InputError(f"must be between 1 and 1000, not {limit}", field="limit")
    period = Period(flt)
    cube, columns = {
        "code": (CODES, ["code", "known"]),
        "operator": (OPERATORS, ["operator"]),
    }.get(dimension, (REASONS, [dimension]))
    slices: defaultdict[tuple[Any, ...], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(FAILED, 0)
    )
    for query in period.select(cube, [*columns, "state"], failed=True):
        for *cell, state, n in read(query):
            slices[tuple(cell)][state] += int(n)
    items = []
    for key, by in slices.items():
        failed = sum(by.values())
        if failed:
            value = key[0] or None  # '' stands for "no value" in the rollups
            known = bool(key[1]) if dimension == "code" else None
            items.append(FailureSlice(value=value, failed=failed, known=known, **by))
    items.sort(key=lambda s: (-s.failed, s.value or "", s.known is not False))
    return Failures(
        dimension=dimension,
        since=iso(period.since),
        until=iso(period.until),
        failed=sum(s.failed for s in items),
        items=tuple(items[:limit]),
    )


def latency(read: Read, flt: InsightFilter) -> Latency:
    period = Period(flt)
    counts: defaultdict[int, int] = defaultdict(int)
    for query in period.select(LATENCY, ["bin"]):
        for found, n in read(query):
            counts[int(found)] += int(n)
    lows = (0, *BOUNDS)
    highs: tuple[int | None, ...] = (*BOUNDS, None)
    bins = tuple(
        LatencyBin(low=low, high=high, count=counts.get(i, 0))
        for i, (low, high) in enumerate(zip(lows, highs, strict=True))
    )
    return Latency(
        since=iso(period.since),
        until=iso(period.until),
        total=sum(b.count for b in bins),
        bins=bins,
    )


def unknown(read: Read, limit: int) -> list[UnknownCode]:
    if not 1 <= limit <= 1000:
        raise InputError(f"must be between 1 and 1000, not {limit}", field="limit")
    query = (
        sa.select(unknown_codes)
        .order_by(unknown_codes.c.count.desc(), unknown_codes.c.code)
        .limit(limit)
    )
    return [
        UnknownCode(
            code=row.code,
            count=row.count,
            first_seen=iso(row.first_seen),
            last_seen=iso(row.last_seen),
            report_key=row.report_key,
        )
        for row in read(query)
    ]
