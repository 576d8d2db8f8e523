"""SMSPartner's send rules that need more than a field check: schedules, marketing hours, limits.

Sources: seed 003 ("API Error Codes > Sending SMS", and 429 from "Sending Mail") and
SMSPartner's "Single Send" page: scheduled sends name a date (dd/mm/YYYY), an hour (0-23) and a
minute in five-minute steps; commercial SMS are sent only from 08:00 to 22:00, never on Sundays
or French public holidays (French time). The `holidays` package gives the holidays, with the
Alsace-Moselle ones (Good Friday, St Stephen's Day) for subdivisions "57" and "6AE".

    >>> from datetime import datetime
    >>> commercial_refusal(datetime(2025, 7, 14, 10, 0, tzinfo=PARIS))  # Bastille Day
    23
    >>> commercial_refusal(datetime(2025, 7, 15, 22, 30, tzinfo=PARIS))
    22
"""

from __future__ import annotations

import re
from collections import deque
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
OPEN, CLOSE = time(8, 0), time(22, 0)
MAX_NUMBERS = 500
MAX_PARTS = 10
LOW_COST_CHARS = 160
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class Refusal(Exception):
    """A documented SMSPartner error code, with the field it concerns."""

    def __init__(self, code: int, field: str | None = None, detail: str | None = None) -> None:
        super().__init__(f"code {code}")
        self.code, self.field, self.detail = code, field, detail


@lru_cache(maxsize=64)
def _holidays(year: int, subdiv: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", subdiv=subdiv, years=year)


def is_holiday(day: date, subdiv: str | None = None) -> bool:
    return day in _holidays(day.year, subdiv)


def commercial_refusal(moment: datetime, subdiv: str | None = None) -> int | None:
    """23 on a Sunday or a public holiday, 22 outside 08:00-22:00 (French time), else None."""
    local = moment.astimezone(PARIS)
    if local.weekday() == 6 or is_holiday(local.date(), subdiv):
        return 23
    if not OPEN <= local.time() < CLOSE:
        return 22
    return None


def next_commercial_slot(moment: datetime, subdiv: str | None = None) -> datetime:
    """The first moment at or after `moment` when commercial SMS may go (held sends wait for it)."""
    local = moment.astimezone(PARIS)
    for _ in range(30):  # a month holds an open day
        if commercial_refusal(local, subdiv) is None:
            return local
        opening = datetime.combine(local.date(), OPEN, PARIS)
        local = (
            opening
            if local < opening
            else datetime.combine(local.date() + timedelta(days=1), OPEN, PARIS)
        )
    raise RuntimeError("no open day within a month")  # unreachable with real calendars


def scheduled_time(day: object, hour: object, minute: object, now: datetime) -> datetime | None:
    """The moment a scheduled send names, or a Refusal: 45 date required, 46 time required or
    invalid, 47 minute missing or not a number, 48 minute not in 0-55 by steps of 5, 49 date
    invalid or past. None when nothing is scheduled."""
    given = [v not in (None, "") for v in (day, hour, minute)]
    if not any(given):
        return None
    if not given[0]:
        raise Refusal(45, "scheduledDeliveryDate")
    match = _DATE.match(str(day).strip())
    if match is None:
        raise Refusal(49, "scheduledDeliveryDate", "expected dd/mm/YYYY")
    if not given[1] or not _digits(hour) or not 0 <= int(str(hour)) <= 23:
        raise Refusal(46, "time", "expected an hour from 0 to 23")
    if not given[2] or not _digits(minute):
        raise Refusal(47, "minute")
    m = int(str(minute))
    if m % 5 or not 0 <= m <= 55:
        raise Refusal(48, "minute")
    try:
        moment = datetime(
            int(match[3]), int(match[2]), int(match[1]), int(str(hour)), m, tzinfo=PARIS
        )
    except ValueError:
        raise Refusal(49, "scheduledDeliveryDate", "no such date") from None
    if moment <= now:
        raise Refusal(49, "scheduledDeliveryDate", "the date is earlier than the current date")
    return moment


def _digits(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().isdigit()


def display_length(message: str) -> int:
    """Characters as SMSPartner counts them: the `:br:` line break counts as two."""
    return len(message.replace(":br:", "\r\n"))


def sms_text(message: str) -> str:
    """The text sent: `:br:` becomes a line break and `:euro:` the euro sign."""
    return message.replace(":br:", "\r\n").replace(":euro:", "€")


class RateLimiter:
    """Requests per IP over a sliding minute (SMSPartner: 2000 requests / minute / IP)."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def allow(self, ip: str, now: float, limit: int) -> bool:
        hits = self._hits.setdefault(ip, deque())
        while hits and hits[0] <= now - 60:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True
