"""The period an insight covers: parsing bounds, defaults, presets and the bucket of a series.

    >>> p = resolve(parse_bound("2024-06-01", "from"), parse_bound("2024-06-02", "to", end=True))
    >>> p.label, p.bucket
    ('2024-06-01 00:00 to 2024-06-03 00:00 UTC', 'hour')

Bounds are UTC instants (naive ones are taken as UTC); a period is [since, until). A bare date
as an end bound (`dlrkit report --to 2024-06-30`) means the end of that day.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from dlrkit.errors import InputError
from dlrkit.store.base import InsightFilter

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
DEFAULT_SPAN = 7 * DAY
HOURLY_UP_TO = 7 * DAY  # longer periods are charted by day
PRESETS: dict[str, dt.timedelta] = {"24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY}
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # bounds outside these years are mistakes
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """`value` as an aware UTC datetime (naive values are UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def iso(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second: what the store takes as a bound."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def ceil_hour(value: dt.datetime) -> dt.datetime:
    floor = value.replace(minute=0, second=0, microsecond=0)
    return floor if floor == value else floor + HOUR


def parse_bound(text: str, field: str, *, end: bool = False) -> dt.datetime:
    """A date (`2024-06-01`) or an ISO 8601 date and time; a bare date ends its day if `end`."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return start + DAY if end else start
        return utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        raise InputError(
            f"expected a date (2024-06-01) or an ISO 8601 time, not {text!r}", field=field
        ) from None


class Period(NamedTuple):
    """[since, until) in UTC."""

    since: dt.datetime
    until: dt.datetime

    @property
    def bucket(self) -> str:
        """The series' bucket: hours for up to seven days, else days."""
        return "hour" if self.until - self.since <= HOURLY_UP_TO else "day"

    @property
    def label(self) -> str:
        fmt = "%Y-%m-%d %H:%M"
        return f"{self.since.strftime(fmt)} to {self.until.strftime(fmt)} UTC"

    def filter(
        self, *, provider: str | None = None, channel: str | None = None, country: str | None = None
    ) -> InsightFilter:
        return InsightFilter(
            since=iso(self.since),
            until=iso(self.until),
            provider=provider or None,
            channel=channel or None,
            country=country.upper() if country else None,
        )


def _plausible(bound: dt.datetime) -> bool:
    try:
        return EARLIEST <= utc(bound) <= LATEST
    except OverflowError:  # an offset pushing year 1 or 9999 out of range
        return False


def resolve(
    since: dt.datetime | None,
    until: dt.datetime | None,
    *,
    span: dt.timedelta = DEFAULT_SPAN,
    now: dt.datetime | None = None,
    names: tuple[str, str] = ("since", "until"),
) -> Period:
    """The period asked for: `until` defaults to the end of the current hour, `since` to
    `span` before `until`. A bound outside 1970-9000, or an empty or reversed period, is an
    `InputError` naming the bound as the caller calls it (`names`: `("--from", "--to")` for
    the CLI, the query parameters by default)."""
    for name, bound in zip(names, (since, until), strict=True):
        if bound is not None and not _plausible(bound):
            raise InputError("must be between 1970 and 9000", field=name)
    end = utc(until) if until is not None else ceil_hour(utc(now or dt.datetime.now(dt.UTC)))
    start = utc(since) if since is not None else end - span
    if end <= start:
        raise InputError(f"must be later than {names[0]}", field=names[1])
    return Period(start, end)


def preset(name: str, *, now: dt.datetime | None = None) -> Period:
    """One of `PRESETS` ("24h", "7d", ...) ending with the current hour."""
    if name not in PRESETS:
        raise InputError(f"unknown period {name!r}; one of: {', '.join(PRESETS)}", field="period")
    return resolve(None, None, span=PRESETS[name], now=now)
