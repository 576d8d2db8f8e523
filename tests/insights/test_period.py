"""Periods of insights: bounds, defaults, presets, buckets, and bad bounds named."""

from __future__ import annotations

import datetime as dt

import pytest

from dlrkit.errors import InputError
from dlrkit.insights.period import Period, parse_bound, preset, resolve

NOW = dt.datetime(2024, 6, 10, 9, 30, tzinfo=dt.UTC)


def test_bounds_dates_and_times() -> None:
    assert parse_bound("2024-06-01", "from") == dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    assert parse_bound("2024-06-30", "to", end=True) == dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
    assert parse_bound("2024-06-01T12:00:00+02:00", "from") == dt.datetime(
        2024, 6, 1, 10, tzinfo=dt.UTC
    )
    assert parse_bound("2024-06-01T10:00:00Z", "from").tzinfo == dt.UTC
    with pytest.raises(InputError) as exc:
        parse_bound("June", "--from")
    assert exc.value.field == "--from"


def test_defaults_end_with_the_current_hour() -> None:
    p = resolve(None, None, now=NOW)
    assert p == Period(
        dt.datetime(2024, 6, 3, 10, tzinfo=dt.UTC), dt.datetime(2024, 6, 10, 10, tzinfo=dt.UTC)
    )
    assert p.bucket == "hour"
    assert preset("30d", now=NOW).bucket == "day"
    assert preset("24h", now=NOW).label == "2024-06-09 10:00 to 2024-06-10 10:00 UTC"
    naive = resolve(dt.datetime(2024, 6, 1), None, now=NOW)
    assert naive.since.tzinfo == dt.UTC


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        (dt.datetime(2024, 6, 2, tzinfo=dt.UTC), dt.datetime(2024, 6, 1, tzinfo=dt.UTC), "until"),
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), None, "since"),
        (None, dt.datetime(9999, 12, 31, tzinfo=dt.UTC), "until"),
        (
            dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
            None,
            "since",
        ),
    ],
)
def test_impossible_periods_name_their_bound(
    since: dt.datetime | None, until: dt.datetime | None, field: str
) -> None:
    with pytest.raises(InputError) as exc:
        resolve(since, until, now=NOW)
    assert exc.value.field == field


def test_unknown_preset() -> None:
    with pytest.raises(InputError) as exc:
        preset("fortnight")
    assert exc.value.field == "period"


def test_filter_upper_cases_the_country() -> None:
    flt = preset("7d", now=NOW).filter(provider="plivo", country="fr")
    assert (flt.provider, flt.channel, flt.country) == ("plivo", None, "FR")
    assert (flt.since, flt.until) == ("2024-06-03T10:00:00Z", "2024-06-10T10:00:00Z")
