"""The suppression list: automatic at ingest (permanent reasons at once, soft ones after a streak,
with an expiry), by hand (add, remove, check), listed with filters and paging, exported."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa

from dlrkit.errors import InputError
from dlrkit.outcome import Channel, Outcome
from dlrkit.policy import PolicyConfig
from dlrkit.store.base import Incoming, SuppressionEntry, SuppressionFilter
from dlrkit.store.engine import engine_for
from dlrkit.store.schema import suppressions
from dlrkit.store.sql import SqlStore
from dlrkit.vocab import Party, Reason, Retry, State

from .traffic import START, incoming, iso

run = asyncio.run
FR = "+33612345678"


def report(
    recipient: str,
    n: int,
    state: State = State.UNDELIVERED,
    reason: Reason = Reason.RECIPIENT_UNREACHABLE,
    *,
    minutes: int | None = None,
) -> Incoming:
    """The report of message n to `recipient`, n minutes after START (or `minutes`)."""
    at = iso(START + dt.timedelta(minutes=n if minutes is None else minutes))
    o = Outcome(
        message_id=f"sup-{n}",
        provider="infobip",
        channel=Channel.SMS,
        state=state,
        final=state.final,
        reason=reason,
        retry=Retry.NEVER,
        party=Party.RECIPIENT,
        recipient=recipient,
        country="FR",
        done_at=at if state.final else None,
        received_at=at,
        raw={"id": n, "state": state.value, "reason": reason.value, "at": at},
    )
    return incoming(o)


def age(url: str, recipient: str, expires_at: dt.datetime) -> None:
    """Time passes: the suppression of `recipient` now expires at `expires_at`."""
    engine = engine_for(url, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.update(suppressions)
                .where(suppressions.c.recipient == recipient)
                .values(expires_at=expires_at)
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("reason", [Reason.RECIPIENT_INVALID, Reason.RECIPIENT_OPTED_OUT])
def test_permanent_reasons_suppress_at_once_with_their_report(
    store: SqlStore, reason: Reason
) -> None:
    assert run(store.check_suppression(FR)) is None
    pending, final = report(FR, 1, State.PENDING, Reason.NONE), report(FR, 1, reason=reason)
    run(store.ingest([pending]))
    assert run(store.check_suppression(FR)) is None  # not final yet
    run(store.ingest([final]))
    found = run(store.check_suppression("0033 6 12 34 56 78"))  # normalized to E.164
    assert found is not None
    assert (found.recipient, found.reason, found.permanent, found.expires_at) == (
        FR,
        reason.value,
        True,
        None,
    )
    assert (found.source, found.active, found.note) == ("auto", True, None)
    assert (found.provider, found.message_id, found.report_key) == (
        "infobip",
        "sup-1",
        final.report_key,
    )


def test_unreachable_suppresses_only_after_three_in_a_row_and_expires(store: SqlStore) -> None:
    run(store.ingest([report(FR, 1), report(FR, 2)]))
    assert run(store.check_suppression(FR)) is None
    run(store.ingest([report(FR, 3, State.DELIVERED, Reason.NONE)]))  # the streak is broken
    run(store.ingest([report(FR, 4), report(FR, 5)]))
    assert run(store.check_suppression(FR)) is None
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)  # entries give milliseconds
    run(store.ingest([report(FR, 6)]))
    found = run(store.check_suppression(FR))
    assert found is not None
    assert (found.reason, found.permanent, found.source, found.message_id) == (
        "recipient_unreachable",
        False,
        "auto",
        "sup-6",
    )
    expires = dt.datetime.fromisoformat(found.expires_at or "")
    assert (
        before + dt.timedelta(days=7) <= expires <= dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    )

    age(store.url, FR, dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert run(store.check_suppression(FR)) is None  # expired: no longer in force
    listed = run(store.list_suppressions(SuppressionFilter())).items
    assert [(e.recipient, e.active) for e in listed] == [(FR, False)]
    assert run(store.list_suppressions(SuppressionFilter(active_only=True))).items == ()
    run(store.ingest([report(FR, 7)]))  # a fourth in a row renews it
    renewed = run(store.check_suppression(FR))
    assert renewed is not None
    assert renewed.message_id == "sup-7"


def test_a_streak_inside_one_batch_and_out_of_order_counts(store: SqlStore) -> None:
    other = "+33687654321"
    run(store.ingest([report(FR, 3), report(FR, 1), report(FR, 2), report(other, 4)]))
    found = run(store.check_suppression(FR))
    assert found is not None
    assert found.message_id == "sup-3"  # the newest of the three
    assert run(store.check_suppression(other)) is None


def test_a_failed_part_after_a_delivered_one_suppresses(store: SqlStore) -> None:
    delivered = report(FR, 1, State.DELIVERED, Reason.NONE)
    opted_out = report(FR, 1, reason=Reason.RECIPIENT_OPTED_OUT)
    run(store.ingest([delivered]))
    assert run(store.check_suppression(FR)) is None
    run(store.ingest([opted_out]))  # the final outcome changes reason
    found = run(store.check_suppression(FR))
    assert found is not None
    assert found.report_key == opted_out.report_key


def test_automatic_suppression_never_replaces_a_permanent_one(store: SqlStore) -> None:
    manual = run(store.add_suppression(FR, "recipient_opted_out", note="asked by phone"))
    run(store.ingest([report(FR, n) for n in range(1, 5)]))
    assert run(store.check_suppression(FR)) == manual
    run(store.ingest([report(FR, 5, reason=Reason.RECIPIENT_INVALID)]))
    assert run(store.check_suppression(FR)) == manual


def test_a_permanent_reason_upgrades_a_soft_suppression(store: SqlStore) -> None:
    run(store.ingest([report(FR, n) for n in range(1, 4)]))
    soft = run(store.check_suppression(FR))
    assert soft is not None
    assert not soft.permanent
    run(store.ingest([report(FR, 4, reason=Reason.RECIPIENT_INVALID)]))
    hard = run(store.check_suppression(FR))
    assert hard is not None
    assert (hard.permanent, hard.reason, hard.expires_at) == (True, "recipient_invalid", None)


def test_duplicates_and_unsuppressing_reasons_change_nothing(store: SqlStore) -> None:
    busy = report(FR, 1, reason=Reason.RECIPIENT_BUSY)
    run(store.ingest([busy, busy]))
    assert run(store.list_suppressions(SuppressionFilter())).items == ()
    invalid = report(FR, 2, reason=Reason.RECIPIENT_INVALID)
    run(store.ingest([invalid]))
    first = run(store.check_suppression(FR))
    run(store.ingest([invalid]))  # a repeated report: the suppression stays as it was
    assert run(store.check_suppression(FR)) == first


def test_the_policy_comes_from_the_store(url: str) -> None:
    policy = PolicyConfig(suppress={Reason.RECIPIENT_BUSY: "permanent"})

    async def scenario() -> tuple[SuppressionEntry | None, SuppressionEntry | None]:
        store = SqlStore(url, policy=policy)
        await store.open()
        await store.ingest(
            [
                report(FR, 1, reason=Reason.RECIPIENT_BUSY),
                report("+33600000001", 2, reason=Reason.RECIPIENT_INVALID),
            ]
        )
        found = await store.check_suppression(FR), await store.check_suppression("+33600000001")
        await store.close()
        return found

    busy, invalid = run(scenario())
    assert busy is not None
    assert busy.reason == "recipient_busy"
    assert invalid is None  # this policy does not suppress invalid recipients


def test_add_check_remove_by_hand(store: SqlStore) -> None:
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    added = run(
        store.add_suppression(" 33612345678 ", "recipient_unreachable", expires_at=iso(soon))
    )
    assert (added.recipient, added.permanent, added.source, added.active) == (
        FR,
        False,
        "manual",
        True,
    )
    assert added.expires_at == iso(soon)
    assert (added.provider, added.message_id, added.report_key) == (None, None, None)
    assert run(store.check_suppression("+33 6 12 34 56 78")) == added
    email = run(store.add_suppression("Someone@Example.org", "recipient_opted_out", note="GDPR"))
    assert (email.recipient, email.permanent, email.note) == ("Someone@Example.org", True, "GDPR")
    replaced = run(store.add_suppression(FR, "recipient_blocked"))
    assert (replaced.reason, replaced.permanent, replaced.expires_at) == (
        "recipient_blocked",
        True,
        None,
    )
    assert run(store.remove_suppression("tel:+33612345678"))
    assert not run(store.remove_suppression(FR))
    assert run(store.check_suppression(FR)) is None
    assert run(store.check_suppression("Someone@Example.org")) == email


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.add_suppression("", "recipient_invalid"), "recipient"),
        (lambda s: s.add_suppression("+33\x00", "recipient_invalid"), "recipient"),
        (lambda s: s.add_suppression("x" * 256, "recipient_invalid"), "recipient"),
        (lambda s: s.add_suppression(FR, "tired"), "reason"),
        (lambda s: s.add_suppression(FR, "recipient_invalid", expires_at="soon"), "expires_at"),
        (
            lambda s: s.add_suppression(FR, "recipient_invalid", expires_at="2020-01-01T00:00:00Z"),
            "expires_at",
        ),
        (lambda s: s.add_suppression(FR, "recipient_invalid", note="n" * 1001), "note"),
        (lambda s: s.check_suppression("  "), "recipient"),
        (lambda s: s.remove_suppression("\ud800"), "recipient"),
        (lambda s: s.list_suppressions(SuppressionFilter(reason="tired")), "reason"),
        (lambda s: s.list_suppressions(SuppressionFilter(source="robot")), "source"),
        (lambda s: s.list_suppressions(SuppressionFilter(), limit=0), "limit"),
        (lambda s: s.list_suppressions(SuppressionFilter(), cursor="nope"), "cursor"),
    ],
    ids=[
        "empty",
        "nul",
        "long",
        "reason",
        "expiry-text",
        "expiry-past",
        "note",
        "blank-check",
        "surrogate",
        "list-reason",
        "list-source",
        "list-limit",
        "list-cursor",
    ],
)
def test_bad_input_names_the_field(store: SqlStore, call: object, field: str) -> None:
    with pytest.raises(InputError) as raised:
        run(call(store))  # type: ignore[operator]
    assert raised.value.field == field


def insert_many(url: str, count: int) -> list[str]:
    """`count` suppressions written directly: every tenth manual, every third expired."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "recipient": f"+3361{n:07d}",
            "reason": "recipient_invalid" if n % 2 else "recipient_unreachable",
            "permanent": n % 2 == 1,
            "created_at": now - dt.timedelta(minutes=n // 2),  # pairs share a time: ties
            "expires_at": None if n % 2 else now + dt.timedelta(days=-1 if n % 3 == 0 else 1),
            "source": "manual" if n % 10 == 0 else "auto",
            "provider": None,
            "message_id": None,
            "report_key": None,
            "note": None,
        }
        for n in range(count)
    ]
    engine = engine_for(url, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(suppressions.insert(), rows)
    finally:
        engine.dispose()
    return [r["recipient"] for r in rows]


def walk(store: SqlStore, flt: SuppressionFilter, limit: int) -> Iterator[SuppressionEntry]:
    cursor = None
    while True:
        page = run(store.list_suppressions(flt, limit=limit, cursor=cursor))
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (SuppressionFilter(), 300),
        (SuppressionFilter(reason="recipient_invalid"), 150),
        (SuppressionFilter(source="manual"), 30),
        (SuppressionFilter(active_only=True), 250),
        (SuppressionFilter(reason="recipient_unreachable", active_only=True), 100),
    ],
    ids=["all", "reason", "source", "active", "combined"],
)
def test_listing_filters_and_pages_newest_first(
    store: SqlStore, flt: SuppressionFilter, expected: int
) -> None:
    insert_many(store.url, 300)
    got = list(walk(store, flt, limit=17))
    assert len(got) == len({e.recipient for e in got}) == expected
    assert got == sorted(got, key=lambda e: (e.created_at, e.recipient), reverse=True)
    for e in got:
        assert flt.reason in (None, e.reason)
        assert flt.source in (None, e.source)
        assert e.active or not flt.active_only
        assert e.active == (
            e.permanent
            or (e.expires_at is not None and e.expires_at > iso(dt.datetime.now(dt.UTC)))
        )


def test_export_gives_every_suppression_by_recipient(store: SqlStore) -> None:
    recipients = insert_many(store.url, 2345)

    async def everything() -> list[SuppressionEntry]:
        found: AsyncIterator[SuppressionEntry] = store.export_suppressions()
        return [e async for e in found]

    exported = run(everything())
    assert [e.recipient for e in exported] == sorted(recipients)
    assert sum(not e.active for e in exported) == len(
        [n for n in range(2345) if n % 2 == 0 and n % 3 == 0]
    )
