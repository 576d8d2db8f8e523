"""A traffic source: fire N delivery reports at a receiver, at a given rate.

    stats = asyncio.run(fire("http://127.0.0.1:8000", provider="plivo", count=10_000, rate=2000))

Reports are the sandbox's own, rendered and signed exactly as the imitations post them
(fates drawn from the scenario: the same seed gives the same stream), so a benchmark of
`dlrkit serve` (bench/ingest.py) exercises the real parsing and verification paths. Posts are
paced with a leaky bucket (aiolimiter) and bounded in concurrency; the answer counts what came
back. `dlrkit sandbox --fire N --rate R --callback-base URL` runs it from the command line.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from aiolimiter import AsyncLimiter

from dlrkit.catalog import Catalog
from dlrkit.sandbox import infobip_reports, plivo_reports
from dlrkit.sandbox.scenario import Scenario
from dlrkit.sandbox.signing import callback_headers
from dlrkit.sandbox.smspartner import WORDS
from dlrkit.sandbox.state import SandboxState

PROVIDERS = ("infobip", "smspartner", "plivo")
FORM = "application/x-www-form-urlencoded"


@dataclass
class FireStats:
    sent: int = 0
    accepted: int = 0  # 2xx answers
    refused: int = 0  # other HTTP answers
    errors: int = 0  # no answer (connection refused, timeout)
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "accepted": self.accepted,
            "refused": self.refused,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rate": round(self.rate, 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def webhook_url(target: str, provider: str, state: SandboxState) -> str:
    """`target` itself when it names a path, else its /webhooks/{provider} (SMSPartner: ?token=)."""
    if urlsplit(target).path not in ("", "/"):
        return target
    url = f"{target.rstrip('/')}/webhooks/{provider}"
    if provider == "smspartner":
        url += "?" + urlencode({"token": state.smspartner.dlr_token})
    return url


def report(
    provider: str, channel: str, i: int, scenario: Scenario, catalog: Catalog
) -> tuple[bytes, str]:
    """Report number i of a stream: (body, content type)."""
    rng = random.Random(f"{scenario.seed}/fire/{provider}/{i}")
    to = f"+336{rng.randrange(10**8):08d}"
    decision = scenario.decide(provider, to, i)
    now = time.time()
    done = now + decision.delay
    if provider == "infobip":
        codes = (infobip_reports.VOICE if channel == "voice" else infobip_reports.SMS)[
            decision.fate
        ]
        message_id = str(uuid.uuid4())
        if channel == "voice":
            result = infobip_reports.voice_report(
                catalog,
                bulk_id="fire",
                message_id=message_id,
                to=to[1:],
                sender="dlrkit",
                sent_at=now,
                start=now,
                answered=None,
                end=done,
                price_per_second=0.0,
                codes=codes,
                callback_data=None,
            )
        else:
            result = infobip_reports.sms_report(
                catalog,
                bulk_id="fire",
                message_id=message_id,
                to=to[1:],
                sender="dlrkit",
                sent_at=now,
                done_at=done,
                parts=1,
                price=0.01,
                codes=codes,
                callback_data=None,
                version=2,
            )
        return json.dumps({"results": [result]}).encode(), "application/json"
    if provider == "plivo":
        if channel == "voice":
            hangup = plivo_reports.CALLS[decision.fate]
            form = plivo_reports.hangup_form(
                catalog,
                hangup,
                call_uuid=str(uuid.uuid4()),
                sender="14155550100",
                to=to[1:],
                start=now,
                answered=None,
                end=done,
                rate=0.01,
            )
        else:
            status, error = plivo_reports.MESSAGES[decision.fate]
            form = plivo_reports.message_form(
                message_uuid=str(uuid.uuid4()),
                sender="14155550100",
                to=to[1:],
                status=status,
                error=error,
                queued=now,
                sent=now,
                reported=done,
                units=1,
                rate=0.005,
                sequence=3,
            )
        return urlencode(form).encode(), FORM
    form = {
        "messageId": str(i + 1),
        "phoneNumber": to,
        "status": WORDS[decision.fate],
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return urlencode(form).encode(), FORM


async def fire(
    target: str,
    *,
    provider: str = "infobip",
    channel: str = "sms",
    count: int = 1000,
    rate: float = 100.0,
    scenario: Scenario | None = None,
    state: SandboxState | None = None,
    concurrency: int = 64,
    timeout: float = 10.0,
) -> FireStats:
    """Post `count` signed reports of `provider` to `target` at about `rate` per second."""
    if provider not in PROVIDERS:
        raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, got {provider!r}")
    if count < 0 or rate <= 0 or concurrency < 1:
        raise ValueError("count must be >= 0, rate > 0 and concurrency >= 1")
    scenario = scenario or Scenario()
    state = state or SandboxState()
    catalog = Catalog.default()
    url = webhook_url(target, provider, state)
    stats = FireStats()
    burst = max(rate / 10, 1.0)  # at most a tenth of a second's worth at once
    limiter = AsyncLimiter(burst, burst / rate)
    slots = asyncio.Semaphore(concurrency)

    async def one(client: httpx.AsyncClient, i: int) -> None:
        body, ctype = report(provider, channel, i, scenario, catalog)
        headers = callback_headers(provider, state, url, body, ctype)
        try:
            answer = await client.post(url, content=body, headers=headers)
        except httpx.TransportError:
            stats.errors += 1
        else:
            stats.statuses[answer.status_code] += 1
            if answer.is_success:
                stats.accepted += 1
            else:
                stats.refused += 1
        finally:
            slots.release()

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=timeout) as client:
        tasks = []
        for i in range(count):
            await limiter.acquire()
            await slots.acquire()
            stats.sent += 1
            tasks.append(asyncio.create_task(one(client, i)))
        await asyncio.gather(*tasks)
    stats.seconds = time.perf_counter() - started
    return stats
