"""Stored outcomes for `bench/insights.py`, written straight into `outcomes` and the rollups.

Millions of outcomes are too many to push through `Store.ingest` in a benchmark's set-up, so
this writes the tables directly, in bulk (sqlite3 `executemany`, PostgreSQL `COPY`), one day at
a time, with rollups that agree with the rows: the rows of an hour are drawn from traffic
*profiles* (provider, channel, country, operator, state, reason, codes, latency), and each
profile's count in the hour goes through `dlrkit.store.rollups.count`, the function ingest
uses, once. Every outcome's JSON is a real `Outcome` (the profile's, encoded by msgspec, with
the row's id, recipient and times filled in).

The traffic is skewed like real traffic: one provider, a few countries and "delivered" carry
most of it; failures spread over many reasons, codes and operators (the cells that make rollups
big); a few codes are unknown; 10% of outcomes lack `sent_at`; fewer messages at night.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from dlrkit.outcome import Channel, Outcome, OutcomeCode
from dlrkit.store import rollups
from dlrkit.vocab import Party, Reason, Retry, State

UTC = dt.UTC
PROVIDERS = (("infobip", 6), ("plivo", 3), ("smspartner", 1))
CHANNELS = ((Channel.SMS, 80), (Channel.VOICE, 12), (Channel.CHAT, 8))
COUNTRIES = (
    ("FR", "33", ("Orange", "SFR", "Bouygues", "Free")),
    ("DE", "49", ("Telekom", "Vodafone", "O2")),
    ("GB", "44", ("EE", "Vodafone", "O2", "Three")),
    ("ES", "34", ("Movistar", "Vodafone", "Orange")),
    ("IT", "39", ("TIM", "Vodafone", "WindTre")),
    ("US", "1", ("AT&T", "Verizon", "T-Mobile")),
    ("IN", "91", ("Jio", "Airtel", "Vi")),
    ("BR", "55", ("Vivo", "Claro", "TIM")),
    ("NG", "234", ("MTN", "Airtel")),
    ("HR", "385", ("A1", "Telemach")),
    ("PL", "48", ("Orange", "Play")),
    ("NL", "31", ("KPN", "Odido")),
    ("BE", "32", ("Proximus", "Orange")),
    ("CH", "41", ("Swisscom", "Sunrise")),
    ("MA", "212", ("Maroc Telecom", "Orange")),
    ("SN", "221", ("Orange", "Free")),
    ("CA", "1", ("Rogers", "Bell")),
    ("MX", "52", ("Telcel", "AT&T")),
    ("ZA", "27", ("Vodacom", "MTN")),
    ("JP", "81", ("NTT Docomo", "au")),
)
# state, reason, error codes (a "?" code is one the catalog does not know), weight
KINDS = (
    (State.DELIVERED, Reason.NONE, (), 800),
    (State.PENDING, Reason.NONE, (), 30),
    (State.ACCEPTED, Reason.NONE, (), 10),
    (State.UNDELIVERED, Reason.RECIPIENT_UNREACHABLE, ("27", "6", "31"), 50),
    (State.UNDELIVERED, Reason.RECIPIENT_INVALID, ("1", "5"), 12),
    (State.UNDELIVERED, Reason.RECIPIENT_OPTED_OUT, ("4008",), 4),
    (State.UNDELIVERED, Reason.RECIPIENT_BLOCKED, ("13", "4009"), 6),
    (State.UNDELIVERED, Reason.NETWORK_ERROR, ("34", "35", "1153"), 10),
    (State.UNDELIVERED, Reason.RECIPIENT_NO_ANSWER, ("3100",), 10),
    (State.UNDELIVERED, Reason.RECIPIENT_BUSY, ("3010",), 5),
    (State.REJECTED, Reason.CONTENT_REJECTED, ("4010", "4013"), 8),
    (State.REJECTED, Reason.SENDER_REJECTED, ("4004",), 4),
    (State.REJECTED, Reason.ACCOUNT_PROBLEM, ("4001",), 2),
    (State.EXPIRED, Reason.EXPIRED, ("14",), 25),
    (State.UNDELIVERED, Reason.UNKNOWN, ("?9001", "?9002", "?9003", "?9004"), 4),
)
LATENCIES = (
    (None, 10),
    (0.4, 27),
    (3, 32),
    (12, 18),
    (45, 5),
    (120, 4),
    (900, 2),
    (2400, 1),
    (7200, 1),
)
MARK = "@@value@@"  # stands for the row's values in a profile's JSON template


@dataclass(frozen=True, slots=True)
class Profile:
    outcome: Outcome  # what rollups count: sent_at/done_at differ by the latency
    template: (
        str  # the outcome's JSON with %s for message_id, recipient, [sent_at, done_at,] received_at
    )
    latency: float | None
    prefix: str  # calling code of the recipients
    columns: tuple[Any, ...]  # (channel, state, final, reason, retry, party) as stored


def _codes(
    provider: str, state: State, code: str | None
) -> tuple[tuple[OutcomeCode, ...], tuple[str, ...]]:
    status = OutcomeCode(
        kind="status",
        channel="general",
        code=list(State).index(state) + 1,
        known=True,
        entry=f"{provider}:status:general:{list(State).index(state) + 1}",
    )
    if code is None:
        return (status,), ()
    native = code.lstrip("?")
    ref = f"{provider}:error:general:{native}"
    if code.startswith("?"):
        return (
            status,
            OutcomeCode(kind="error", channel="general", code=int(native), known=False),
        ), (ref,)
    return (
        status,
        OutcomeCode(kind="error", channel="general", code=int(native), known=True, entry=ref),
    ), ()


def _template(o: Outcome) -> str:
    text = msgspec.json.encode(o).decode().replace("%", "%%")
    return text.replace(MARK, "%s")


def profiles() -> tuple[list[Profile], list[float]]:
    """Every profile and the cumulative weights to draw them by."""
    found: list[Profile] = []
    weights: list[float] = []
    zero = dt.datetime(2025, 1, 1, tzinfo=UTC)
    for (provider, wp), (channel, wc), (rank, (country, prefix, operators)), (
        state,
        reason,
        codes,
        wk,
    ), (
        latency,
        wl,
    ) in itertools.product(PROVIDERS, CHANNELS, enumerate(COUNTRIES), KINDS, LATENCIES):
        if not state.final and latency is not None:
            continue
        for orank, operator in enumerate(operators):
            for code in codes or (None,):
                native, unknown = _codes(provider, state, code)
                sent = MARK if latency is not None else None
                o = Outcome(
                    message_id=MARK,
                    provider=provider,
                    channel=channel,
                    state=state,
                    final=state.final,
                    reason=reason,
                    retry=Retry.LATER if state.final and state != State.DELIVERED else Retry.NEVER,
                    party=Party.RECIPIENT
                    if reason.value.startswith("recipient")
                    else Party.UNKNOWN,
                    codes=native,
                    unknown_codes=unknown,
                    recipient=MARK,
                    country=country,
                    operator=operator,
                    sent_at=sent,
                    done_at=MARK if sent and state.final else None,
                    received_at=MARK,
                    reports=2,
                )
                at = (zero + dt.timedelta(seconds=latency or 0)).isoformat()
                counted = msgspec.structs.replace(
                    o,
                    sent_at=zero.isoformat() if sent else None,
                    done_at=at if o.done_at else None,
                    received_at=zero.isoformat(),
                )
                stored = (channel.value, state.value, state.final, reason.value, o.retry.value)
                columns = (*stored, o.party.value)
                found.append(Profile(counted, _template(o), latency, prefix, columns))
                share = wp * wc * wk * wl / (rank + 1) ** 1.2 / (orank + 1) / len(codes or (None,))
                weights.append(share)
    return found, list(itertools.accumulate(weights))


def _stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Day:
    outcomes: list[tuple[Any, ...]]  # rows in `outcomes` column order, times as UTC text
    delta: rollups.Delta  # the rollup cells of the day
    unknown: Counter[str]  # unknown code -> outcomes carrying it


def days(total: int, start: dt.date, count: int, seed: int = 1) -> Iterator[Day]:
    """`total` outcomes over `count` days from `start`, one day at a time."""
    table, cumulative = profiles()
    rng = random.Random(seed)
    shape = [
        0.35 + math.sin(math.pi * max(0, h - 6) / 17) if 6 <= h <= 23 else 0.35 for h in range(24)
    ]
    per_hour = [total / count * s / sum(shape) for s in shape]
    n = 0
    indices = range(len(table))
    for d in range(count):
        day = dt.datetime.combine(start + dt.timedelta(days=d), dt.time(), UTC)
        rows: list[tuple[Any, ...]] = []
        delta = rollups.new_delta()
        unknown: Counter[str] = Counter()
        for h in range(24):
            hour = day + dt.timedelta(hours=h)
            k = (
                min(round(per_hour[h] * rng.uniform(0.9, 1.1)), total - n)
                if d < count - 1 or h < 23
                else total - n
            )
            drawn = rng.choices(indices, cum_weights=cumulative, k=max(k, 0))
            for pi, times in Counter(drawn).items():
                p = table[pi]
                o = msgspec.structs.replace(p.outcome, received_at=hour.isoformat())
                rollups.count(delta, o, times)  # sent_at/done_at: only their difference counts
                for code in p.outcome.unknown_codes:
                    unknown[code] += times
            randrange = rng.randrange
            for pi in drawn:
                p = table[pi]
                o = p.outcome
                at = hour + dt.timedelta(microseconds=randrange(3_600_000_000))
                text = at.isoformat(timespec="microseconds")  # 2025-03-01T08:01:02.345678+00:00
                stored = f"{text[:10]} {text[11:26]}"  # as the store keeps times: UTC, no zone
                stamp = f"{text[:23]}Z"  # as Outcome gives them
                mid = f"b{n:010d}"
                recipient = f"+{p.prefix}{randrange(100_000_000, 1_000_000_000)}"
                if p.latency is None:
                    values: tuple[str, ...] = (mid, recipient, stamp)
                else:  # final: sent_at, done_at
                    done = _stamp(at + dt.timedelta(seconds=p.latency))
                    values = (mid, recipient, stamp, done, stamp)
                row = (
                    o.provider,
                    mid,
                    stored,
                    stored,
                    *p.columns,
                    recipient,
                    o.country,
                    o.operator,
                    2,
                )
                rows.append((*row, p.template % values))
                n += 1
        yield Day(rows, delta, unknown)
