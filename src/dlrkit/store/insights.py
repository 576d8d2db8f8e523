"""Insight queries, answered from the rollups (never by scanning `outcomes`).

A period [since, until) is widened to the UTC hours it touches, then read in as few cells as
possible: the whole weeks inside it from the weekly cells, the whole days left at either end
from the daily ones, the hours left at the edges from the hourly ones (`cover`); a series by
day or by hour stops at that grain. Each part is a GROUP BY over a primary-key range, all in
one statement; the parts are added up here. So the cost of an answer grows with the variety of
the traffic and, slowly, with the length of the period, not with the number of stored outcomes.
"""

from __future__ import annotations

import datetime as dt
import functools
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

GRAINS = ("hour", "day", "week")  # finest first
STEPS = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}
MAX_POINTS = 2000  # buckets in one series
FAILED = (State.UNDELIVERED.value, State.REJECTED.value, State.EXPIRED.value)
DIMENSIONS = ("reason", "code", "provider", "channel", "country", "operator")
BUCKETS = ("hour", "day")

Read = Callable[[sa.Executable], list[Any]]  # runs a query, returns its rows


class Period:
    """A checked InsightFilter: the hour-aligned range and the filter conditions."""

    def __init__(self, flt: InsightFilter):
        since = parse_time(flt.since, "since") if isinstance(flt.since, str) else None
        until = parse_time(flt.until, "until") if isinstance(flt.until, str) else None
        if since is None or until is None:
            raise InputError("both since and until are required", field="since")
        self.since, self.until = _floor(since, "hour"), _ceil(until, "hour")
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

    def select(
        self, cube: Cube, columns: list[str], *, coarsest: str = "week", failed: bool = False
    ) -> sa.CompoundSelect[Any]:
        """`SELECT columns, SUM(count) ... GROUP BY columns` over each part of the period (see
        `cover`; grains up to `coarsest`), as one UNION ALL."""
        table = cube.table
        keys = [table.c[c] for c in columns]
        conditions = [table.c[name] == value for name, value in self.equal.items()]
        if failed:
            conditions.append(table.c.state.in_(FAILED))
        parts = []
        grains = GRAINS[: GRAINS.index(coarsest) + 1]
        for grain, start, end in cover(self.since, self.until, grains):
            where = [table.c.grain == grain, table.c.bucket >= start, table.c.bucket < end]
            total = sa.func.sum(table.c.count).label("n")
            parts.append(sa.select(*keys, total).where(*where, *conditions).group_by(*keys))
        return sa.union_all(*parts)


def _floor(at: dt.datetime, grain: str) -> dt.datetime:
    if grain == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if grain == "day" else day - dt.timedelta(days=day.weekday())


def _ceil(at: dt.datetime, grain: str) -> dt.datetime:
    floor = _floor(at, grain)
    return floor if floor == at else floor + STEPS[grain]


def cover(
    start: dt.datetime, end: dt.datetime, grains: tuple[str, ...]
) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """(grain, start, end) ranges tiling [start, end) (whole hours), with the coarsest grains
    in the middle and finer ones only at the edges."""
    if start >= end:
        return []
    coarse, finer = grains[-1], grains[:-1]
    if not finer:
        return [(coarse, start, end)]
    inner_start, inner_end = _ceil(start, coarse), _floor(end, coarse)
    if inner_start >= inner_end:
        return cover(start, end, finer)
    middle = [(coarse, inner_start, inner_end)]
    return cover(start, inner_start, finer) + middle + cover(inner_end, end, finer)


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
    step = STEPS[bucket]
    start = _floor(period.since, bucket)
    if (period.until - start) / step > MAX_POINTS:
        raise InputError(
            f"more than {MAX_POINTS} {bucket}s: ask for a shorter period", field="until"
        )
    counts: defaultdict[dt.datetime, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for at, state, n in read(period.select(STATES, ["bucket", "state"], coarsest=bucket)):
        counts[_floor(at, bucket)][state] += int(n)
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


@functools.cache
def no_failure_codes() -> frozenset[str]:
    """The codes whose catalog meaning is success or no error (reason `none`), named as the
    codes rollup names them: they come along with failures (a failed Infobip status arrives with
    error 0 NO_ERROR) but explain none, so "failures by code" leaves them out. The rollup keeps
    counting them (it is a plain GROUP BY over the outcomes' codes); only the answer skips them."""
    from dlrkit.catalog import Catalog
    from dlrkit.vocab import Reason

    return frozenset(
        f"{e.provider}:{e.kind.value}:{e.channel}:{e.code}"
        for e in Catalog.default().entries
        if e.reason == Reason.NONE
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
    for *cell, state, n in read(period.select(cube, [*columns, "state"], failed=True)):
        slices[tuple(cell)][state] += int(n)
    items = []
    for key, by in slices.items():
        failed = sum(by.values())
        if dimension == "code" and key[1] and key[0] in no_failure_codes():
            continue  # a failed message's "no error" code (Infobip's error 0) is not a cause
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
    for found, n in read(period.select(LATENCY, ["bin"])):
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
