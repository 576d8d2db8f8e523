"""The sandbox's clock: simulated wall-clock time that may run faster than real time.

    >>> clock = Clock(speed=60.0, start=datetime(2025, 3, 3, 9, 0, tzinfo=UTC))
    >>> clock.real_seconds(120)  # a minute of simulated time passes every real second
    2.0
    >>> clock.now() >= datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    True

Every delay the sandbox imitates (a delivery report arriving ten seconds after the send, a message
expiring after its 48-hour validity period, a phone ringing for 20 seconds) is expressed in
simulated seconds; `sleep` turns them into real seconds by dividing by `speed`. Rules that depend
on the time of day (SMSPartner's marketing hours, Infobip's one-hour flooding window) read `now()`,
so a test can start the clock on a Sunday or a public holiday.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

MIN_SPEED = 0.001
MAX_SPEED = 1_000_000.0


class Clock:
    """Simulated time: `start` plus real time elapsed since creation, times `speed`."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise ValueError(f"speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}")
        if start is not None and start.tzinfo is None:
            raise ValueError("start must carry a time zone offset")
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        """The simulated time, timezone-aware (UTC unless `start` had another offset)."""
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    def timestamp(self) -> float:
        """The simulated time as Unix seconds."""
        return self.now().timestamp()

    def real_seconds(self, simulated: float) -> float:
        """How long `simulated` seconds last in real time."""
        return max(0.0, simulated) / self.speed

    async def sleep(self, simulated: float) -> None:
        """Sleep for `simulated` seconds of sandbox time."""
        await asyncio.sleep(self.real_seconds(simulated))

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (the admin endpoint's clock setting); time keeps running from there."""
        if moment.tzinfo is None:
            raise ValueError("the time must carry a time zone offset")
        self._start = moment
        self._t0 = time.monotonic()
