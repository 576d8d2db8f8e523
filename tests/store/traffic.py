"""Synthetic report traffic for the store tests and bench: outcomes with a known destiny.

Each message gets a destiny (delivered, undelivered, rejected, expired, or still pending) and
the reports a provider would send on the way there: accepted, pending (sometimes repeated),
then the final one; some failed messages also get a delivered report for another part, which
must not hide the failure. Reports are listed in the order the provider sent them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field

import msgspec

from dlrkit.outcome import Channel, Outcome
from dlrkit.store.base import Incoming
from dlrkit.vocab import Party, Reason, Retry, State

MessageKey = tuple[str, str]
START = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
PROVIDERS = ("infobip", "plivo", "smspartner")
CHANNELS = (Channel.SMS, Channel.SMS, Channel.SMS, Channel.VOICE, Channel.CHAT)
RECIPIENTS = (
    ("FR", "Orange", "+3361"),
    ("DE", "Telekom", "+49151"),
    ("GB", "EE", "+447700"),
    ("HR", "A1", "+38598"),
)
DESTINIES = (
    (State.DELIVERED, Reason.NONE, Retry.NEVER, Party.UNKNOWN, 50),
    (State.UNDELIVERED, Reason.RECIPIENT_UNREACHABLE, Retry.LATER, Party.RECIPIENT, 15),
    (State.REJECTED, Reason.CONTENT_REJECTED, Retry.AFTER_FIX, Party.SENDER, 5),
    (State.EXPIRED, Reason.EXPIRED, Retry.LATER, Party.CARRIER, 5),
    (State.PENDING, Reason.NONE, Retry.NEVER, Party.UNKNOWN, 25),
)
_encode = msgspec.json.Encoder(order="sorted").encode


def iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def incoming(o: Outcome) -> Incoming:
    """The report as the service hands it over: keyed by a hash of provider and raw report."""
    digest = hashlib.sha256(o.provider.encode() + b"\0" + _encode(o.raw)).hexdigest()
    return Incoming(report_key=digest, outcome=o)


@dataclass
class Traffic:
    reports: list[Incoming] = field(default_factory=list)  # in the order they were sent
    destiny: dict[MessageKey, State] = field(default_factory=dict)
    first_seen: dict[MessageKey, str] = field(default_factory=dict)
    count: dict[MessageKey, int] = field(default_factory=dict)


def traffic(messages: int = 3000, reports: int = 10_000, seed: int = 5) -> Traffic:
    """Exactly `reports` distinct reports about `messages` messages (ValueError: too few)."""
    rng = random.Random(seed)
    weights = [d[-1] for d in DESTINIES]
    timed: list[tuple[dt.datetime, Outcome]] = []
    plans = []
    for n in range(messages):
        provider = PROVIDERS[n % len(PROVIDERS)]
        state, reason, retry, party, _ = rng.choices(DESTINIES, weights)[0]
        country, operator, prefix = rng.choice(RECIPIENTS)
        base = {
            "message_id": f"msg-{n:05d}",
            "provider": provider,
            "channel": CHANNELS[n % len(CHANNELS)],
            "recipient": f"{prefix}{n:07d}",
            "country": country,
            "operator": operator,
        }
        steps: list[tuple[State, Reason, Retry, Party]] = [
            (State.ACCEPTED, Reason.NONE, Retry.NEVER, Party.UNKNOWN)
        ]
        steps.append((State.PENDING, Reason.NONE, Retry.NEVER, Party.UNKNOWN))
        if state != State.PENDING:
            steps.append((state, reason, retry, party))
            if state != State.DELIVERED and rng.random() < 0.3:  # another part got through
                steps.insert(2, (State.DELIVERED, Reason.NONE, Retry.NEVER, Party.UNKNOWN))
        plans.append((base, steps, state))
    total = sum(len(p[1]) for p in plans)
    if total > reports:
        raise ValueError(f"{messages} messages need at least {total} reports")
    for _ in range(reports - total):  # providers repeat "pending" with new details
        rng.choice(plans)[1].insert(1, (State.PENDING, Reason.NONE, Retry.NEVER, Party.UNKNOWN))

    result = Traffic()
    for base, steps, state in plans:
        key = (base["provider"], base["message_id"])
        result.destiny[key] = state
        result.count[key] = len(steps)
        t = START + dt.timedelta(seconds=rng.uniform(0, 3600))
        for i, (s, reason, retry, party) in enumerate(steps):
            t += dt.timedelta(milliseconds=rng.randint(1, 90_000))
            if i == 0:
                result.first_seen[key] = iso(t)
            o = Outcome(
                **base,
                state=s,
                final=s.final,
                reason=reason,
                retry=retry,
                party=party,
                done_at=iso(t) if s.final else None,
                received_at=iso(t),
                raw={"id": base["message_id"], "step": i, "status": s.value, "at": iso(t)},
            )
            timed.append((t, o))
    timed.sort(key=lambda pair: pair[0])
    result.reports = [incoming(o) for _, o in timed]
    return result
