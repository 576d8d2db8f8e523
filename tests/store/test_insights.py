"""Insights on a small known data set: delivery rate, failures by dimension, latency, unknown codes.

The period asked, 2025-03-01 21:30 to 2025-03-03 01:30, is widened to whole hours (21:00 to
02:00) and read as hours (01 21:00-24:00), a day (02) and hours (03 00:00-02:00); the numbers
below were counted by hand from the table of messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import msgspec
import pytest

from dlrkit.errors import InputError
from dlrkit.outcome import Channel, Outcome, OutcomeCode
from dlrkit.store.base import InsightFilter, RatePoint
from dlrkit.store.insights import cover
from dlrkit.store.sql import SqlStore
from dlrkit.vocab import Party, Reason, Retry, State

from .traffic import incoming

run = asyncio.run
D, U, R, E = State.DELIVERED, State.UNDELIVERED, State.REJECTED, State.EXPIRED
P, A = State.PENDING, State.ACCEPTED

# id, provider, channel, country, operator, received_at, state, reason, code, seconds to done
MESSAGES: list[tuple[Any, ...]] = [
    ("m1", "infobip", "sms", "FR", "Orange", "2025-03-01T22:10", D, "none", None, 3),
    (
        "m2",
        "infobip",
        "sms",
        "FR",
        "Orange",
        "2025-03-01T22:40",
        U,
        "recipient_unreachable",
        "infobip:error:general:27",
        40,
    ),
    (
        "m3",
        "plivo",
        "voice",
        "DE",
        "Telekom",
        "2025-03-01T23:05",
        U,
        "recipient_busy",
        "plivo:hangup_cause:voice:3010",
        0.5,
    ),
    ("m4", "infobip", "sms", "GB", None, "2025-03-02T10:00", D, "none", None, 100),
    (
        "m5",
        "infobip",
        "sms",
        "FR",
        "SFR",
        "2025-03-02T10:30",
        R,
        "content_rejected",
        "?infobip:error:general:9999",
        None,
    ),
    ("m6", "smspartner", "sms", "FR", "Orange", "2025-03-02T11:15", E, "expired", None, 4000),
    ("m7", "smspartner", "sms", "FR", "Orange", "2025-03-02T11:20", P, "none", None, None),
    (
        "m13",
        "plivo",
        "sms",
        "FR",
        "Orange",
        "2025-03-02T12:00",
        U,
        "recipient_unreachable",
        "?plivo:dlr_status:sms:ZZZ",
        2,
    ),
    (
        "m14",
        "infobip",
        "chat",
        None,
        None,
        "2025-03-02T13:00",
        R,
        "sender_rejected",
        "?infobip:error:general:9999",
        7,
    ),
    ("m8", "infobip", "chat", None, None, "2025-03-02T23:59:59", D, "none", None, 10),
    (
        "m9",
        "plivo",
        "voice",
        "DE",
        "Telekom",
        "2025-03-03T00:30",
        U,
        "recipient_no_answer",
        "plivo:hangup_cause:voice:3100",
        20,
    ),
    ("m10", "infobip", "sms", "FR", "Orange", "2025-03-03T01:45", A, "none", None, None),
    ("m11", "infobip", "sms", "FR", "Orange", "2025-03-03T05:00", D, "none", None, 1),  # after
    ("m12", "infobip", "sms", "FR", "Orange", "2025-03-01T20:59", D, "none", None, 1),  # before
]
PERIOD = InsightFilter(since="2025-03-01T21:30:00Z", until="2025-03-03T01:30:00+00:00")


def outcome(spec: tuple[Any, ...], state: State, at: dt.datetime) -> Outcome:
    mid, provider, channel, country, operator, _, _, reason, code, seconds = spec
    codes: tuple[OutcomeCode, ...] = ()
    unknown: tuple[str, ...] = ()
    if code is not None and state == spec[6]:
        known = not code.startswith("?")
        ref = code.lstrip("?")
        _, kind, catalog_channel, native = ref.split(":")
        codes = (
            OutcomeCode(
                kind=kind,
                channel=catalog_channel,
                code=native,
                known=known,
                entry=ref if known else None,
            ),
        )
        unknown = () if known else (ref,)
    sent = at.isoformat().replace("+00:00", "Z")
    done = (at + dt.timedelta(seconds=seconds)).isoformat() if seconds is not None else None
    return Outcome(
        message_id=mid,
        provider=provider,
        channel=Channel(channel),
        state=state,
        final=state.final,
        reason=Reason(reason) if state == spec[6] else Reason.NONE,
        retry=Retry.NEVER,
        party=Party.UNKNOWN,
        codes=codes,
        unknown_codes=unknown,
        recipient=f"+3361{mid[1:]:0>7}",
        country=country,
        operator=operator,
        sent_at=sent if seconds is not None else None,
        done_at=done if state.final else None,
        received_at=sent,
        raw={"id": mid, "state": state.value},
    )


@pytest.fixture
def known(store: SqlStore) -> SqlStore:
    """The store holding the messages above (m1 and m9 with an earlier 'accepted' report too)."""
    items = []
    for spec in MESSAGES:
        at = dt.datetime.fromisoformat(spec[5]).replace(tzinfo=dt.UTC)
        if spec[0] in ("m1", "m9"):
            items.append(incoming(outcome(spec, A, at - dt.timedelta(minutes=1))))
        items.append(incoming(outcome(spec, spec[6], at)))
    run(store.ingest(items[::-1]))
    return store


def counts(p: RatePoint) -> tuple[Any, ...]:
    return (
        p.total,
        p.accepted,
        p.pending,
        p.delivered,
        p.undelivered,
        p.rejected,
        p.expired,
        p.unknown,
        p.rate,
    )


def test_delivery_rate_by_day(known: SqlStore) -> None:
    rate = run(known.delivery_rate(PERIOD, bucket="day"))
    assert (rate.since, rate.until, rate.bucket) == (
        "2025-03-01T21:00:00.000Z",
        "2025-03-03T02:00:00.000Z",
        "day",
    )
    assert [p.bucket for p in rate.points] == [
        "2025-03-01T00:00:00.000Z",
        "2025-03-02T00:00:00.000Z",
        "2025-03-03T00:00:00.000Z",
    ]
    assert [counts(p) for p in rate.points] == [
        (3, 0, 0, 1, 2, 0, 0, 0, 1 / 3),
        (7, 0, 1, 2, 1, 2, 1, 0, 2 / 6),
        (2, 1, 0, 0, 1, 0, 0, 0, 0.0),
    ]
    assert counts(rate.summary) == (12, 1, 1, 3, 4, 2, 1, 0, 0.3)
    assert rate.summary.bucket == rate.since


def test_delivery_rate_by_hour(known: SqlStore) -> None:
    rate = run(known.delivery_rate(PERIOD))
    assert len(rate.points) == 29  # 21:00 on the 1st to 02:00 on the 3rd, empty hours included
    busy = {p.bucket[5:13]: (p.total, p.delivered, p.rate) for p in rate.points if p.total}
    assert busy == {
        "03-01T22": (2, 1, 0.5),
        "03-01T23": (1, 0, 0.0),
        "03-02T10": (2, 1, 0.5),
        "03-02T11": (2, 0, 0.0),
        "03-02T12": (1, 0, 0.0),
        "03-02T13": (1, 0, 0.0),
        "03-02T23": (1, 1, 1.0),
        "03-03T00": (1, 0, 0.0),
        "03-03T01": (1, 0, None),
    }
    assert rate.points[0].rate is None
    assert rate.summary == run(known.delivery_rate(PERIOD, bucket="day")).summary


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"provider": "infobip"}, (7, 1, 0, 3, 1, 2, 0, 0, 0.5)),
        ({"country": "FR"}, (7, 1, 1, 1, 2, 1, 1, 0, 0.2)),
        ({"channel": "voice"}, (2, 0, 0, 0, 2, 0, 0, 0, 0.0)),
        ({"provider": "plivo", "channel": "sms"}, (1, 0, 0, 0, 1, 0, 0, 0, 0.0)),
        ({"country": "US"}, (0, 0, 0, 0, 0, 0, 0, 0, None)),
    ],
    ids=["provider", "country", "channel", "both", "nothing"],
)
def test_delivery_rate_filters(
    known: SqlStore, filters: dict[str, str], expected: tuple[Any, ...]
) -> None:
    flt = InsightFilter(since=PERIOD.since, until=PERIOD.until, **filters)
    assert counts(run(known.delivery_rate(flt, bucket="day")).summary) == expected
    assert counts(run(known.delivery_rate(flt)).summary) == expected


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        (
            "reason",
            [
                ("recipient_unreachable", 2, 2, 0, 0),
                ("content_rejected", 1, 0, 1, 0),
                ("expired", 1, 0, 0, 1),
                ("recipient_busy", 1, 1, 0, 0),
                ("recipient_no_answer", 1, 1, 0, 0),
                ("sender_rejected", 1, 0, 1, 0),
            ],
        ),
        ("provider", [("infobip", 3, 1, 2, 0), ("plivo", 3, 3, 0, 0), ("smspartner", 1, 0, 0, 1)]),
        ("channel", [("sms", 4, 2, 1, 1), ("voice", 2, 2, 0, 0), ("chat", 1, 0, 1, 0)]),
        ("country", [("FR", 4, 2, 1, 1), ("DE", 2, 2, 0, 0), (None, 1, 0, 1, 0)]),
        (
            "operator",
            [
                ("Orange", 3, 2, 0, 1),
                ("Telekom", 2, 2, 0, 0),
                (None, 1, 0, 1, 0),
                ("SFR", 1, 0, 1, 0),
            ],
        ),
    ],
)
def test_failures_by_dimension(
    known: SqlStore, dimension: str, expected: list[tuple[Any, ...]]
) -> None:
    failures = run(known.failures_by(dimension, PERIOD))
    assert (failures.dimension, failures.failed) == (dimension, 7)
    assert [
        (s.value, s.failed, s.undelivered, s.rejected, s.expired) for s in failures.items
    ] == expected
    assert all(s.known is None for s in failures.items)


def test_failures_by_code(known: SqlStore) -> None:
    failures = run(known.failures_by("code", PERIOD))
    assert failures.failed == 6
    assert [(s.value, s.known, s.failed, s.undelivered, s.rejected) for s in failures.items] == [
        ("infobip:error:general:9999", False, 2, 0, 2),
        ("infobip:error:general:27", True, 1, 1, 0),
        ("plivo:dlr_status:sms:ZZZ", False, 1, 1, 0),
        ("plivo:hangup_cause:voice:3010", True, 1, 1, 0),
        ("plivo:hangup_cause:voice:3100", True, 1, 1, 0),
    ]
    plivo = InsightFilter(since=PERIOD.since, until=PERIOD.until, provider="plivo")
    assert [s.value for s in run(known.failures_by("code", plivo, limit=2)).items] == [
        "plivo:dlr_status:sms:ZZZ",
        "plivo:hangup_cause:voice:3010",
    ]


def test_failures_limit_and_filters(known: SqlStore) -> None:
    top = run(known.failures_by("reason", PERIOD, limit=2))
    assert [s.value for s in top.items] == ["recipient_unreachable", "content_rejected"]
    assert top.failed == 7  # the total counts every failure, not only those listed
    germany = InsightFilter(since=PERIOD.since, until=PERIOD.until, country="DE")
    found = run(known.failures_by("reason", germany))
    assert [(s.value, s.failed) for s in found.items] == [
        ("recipient_busy", 1),
        ("recipient_no_answer", 1),
    ]


def test_latency(known: SqlStore) -> None:
    latency = run(known.latency(PERIOD))
    assert [(b.low, b.high, b.count) for b in latency.bins] == [
        (0, 1, 1),
        (1, 5, 2),
        (5, 30, 3),
        (30, 60, 1),
        (60, 300, 1),
        (300, 1800, 0),
        (1800, 3600, 0),
        (3600, None, 1),
    ]
    assert latency.total == 9
    infobip = InsightFilter(since=PERIOD.since, until=PERIOD.until, provider="infobip")
    assert [b.count for b in run(known.latency(infobip)).bins] == [0, 1, 2, 1, 1, 0, 0, 0]


def test_unknown_codes(known: SqlStore) -> None:
    found = run(known.unknown_codes())
    assert [(u.code, u.count, u.first_seen, u.last_seen) for u in found] == [
        ("infobip:error:general:9999", 2, "2025-03-02T10:30:00.000Z", "2025-03-02T13:00:00.000Z"),
        ("plivo:dlr_status:sms:ZZZ", 1, "2025-03-02T12:00:00.000Z", "2025-03-02T12:00:00.000Z"),
    ]
    assert [u.code for u in run(known.unknown_codes(limit=1))] == ["infobip:error:general:9999"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.delivery_rate(PERIOD, bucket="week"), "bucket"),
        (lambda s: s.delivery_rate(InsightFilter(since="yesterday", until=PERIOD.until)), "since"),
        (lambda s: s.delivery_rate(InsightFilter(since=PERIOD.until, until=PERIOD.since)), "until"),
        (lambda s: s.delivery_rate(InsightFilter(since="2025-01-01", until="2025-06-01")), "until"),
        (
            lambda s: s.latency(
                InsightFilter(since=PERIOD.since, until=PERIOD.until, channel="fax")
            ),
            "channel",
        ),
        (
            lambda s: s.latency(
                InsightFilter(since=PERIOD.since, until=PERIOD.until, provider="a\x00")
            ),
            "provider",
        ),
        (lambda s: s.failures_by("colour", PERIOD), "dimension"),
        (lambda s: s.failures_by("reason", PERIOD, limit=0), "limit"),
        (lambda s: s.unknown_codes(limit=1001), "limit"),
    ],
    ids=[
        "bucket",
        "since",
        "until-before",
        "too-many-hours",
        "channel",
        "nul",
        "dimension",
        "limit",
        "unknown-limit",
    ],
)
def test_bad_questions_name_the_field(store: SqlStore, call: Any, field: str) -> None:
    with pytest.raises(InputError) as raised:
        run(call(store))
    assert raised.value.field == field


def test_an_empty_store_answers_zeros(store: SqlStore) -> None:
    rate = run(store.delivery_rate(InsightFilter(since="2025-01-01", until="2025-01-01T00:00:01Z")))
    assert [(p.bucket, p.total, p.rate) for p in rate.points] == [
        ("2025-01-01T00:00:00.000Z", 0, None)
    ]
    assert run(store.failures_by("code", PERIOD)).items == ()
    assert run(store.latency(PERIOD)).total == 0
    assert run(store.unknown_codes()) == []


def test_a_long_period_is_read_as_weeks_days_and_hours(known: SqlStore) -> None:
    month = InsightFilter(since="2025-02-10T05:20:00Z", until="2025-03-12T17:00:00Z")
    assert counts(run(known.delivery_rate(month, bucket="day")).summary) == (
        14, 1, 1, 5, 4, 2, 1, 0, 5 / 12,
    )  # fmt: skip
    assert (
        run(known.delivery_rate(month)).summary
        == run(known.delivery_rate(month, bucket="day")).summary
    )
    assert run(known.failures_by("reason", month)).failed == 7
    assert run(known.latency(month)).total == 11  # m11 and m12 too


def test_cover_puts_coarse_grains_in_the_middle() -> None:
    def at(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)

    parts = cover(at("2025-02-08T05:00"), at("2025-03-12T17:00"), ("hour", "day", "week"))
    assert [(g, s.isoformat()[:13], e.isoformat()[:13]) for g, s, e in parts] == [
        ("hour", "2025-02-08T05", "2025-02-09T00"),
        ("day", "2025-02-09T00", "2025-02-10T00"),
        ("week", "2025-02-10T00", "2025-03-10T00"),  # Mondays
        ("day", "2025-03-10T00", "2025-03-12T00"),
        ("hour", "2025-03-12T00", "2025-03-12T17"),
    ]
    assert cover(at("2025-03-01T21:00"), at("2025-03-03T02:00"), ("hour", "day", "week")) == [
        ("hour", at("2025-03-01T21:00"), at("2025-03-02T00:00")),
        ("day", at("2025-03-02T00:00"), at("2025-03-03T00:00")),
        ("hour", at("2025-03-03T00:00"), at("2025-03-03T02:00")),
    ]
    assert cover(at("2025-03-03T00:00"), at("2025-03-10T00:00"), ("hour",)) == [
        ("hour", at("2025-03-03T00:00"), at("2025-03-10T00:00"))
    ]


def test_no_error_codes_are_not_failure_codes(store: SqlStore) -> None:
    """A failed Infobip report carries error 0 NO_ERROR: the status explains, not the error."""
    at = dt.datetime(2025, 3, 2, 10, tzinfo=dt.UTC)
    spec = ("n1", "infobip", "sms", "FR", "Orange", at.isoformat(), U, "unknown", None, 5)
    failed = outcome(spec, U, at)
    failed = msgspec.structs.replace(
        failed,
        codes=(
            OutcomeCode(
                kind="status",
                channel="general",
                code=9,
                known=True,
                entry="infobip:status:general:9",
            ),
            OutcomeCode(
                kind="error", channel="general", code=0, known=True, entry="infobip:error:general:0"
            ),
        ),
    )
    run(store.ingest([incoming(failed)]))
    found = run(store.failures_by("code", PERIOD))
    assert [s.value for s in found.items] == ["infobip:status:general:9"]
    assert found.failed == 1
