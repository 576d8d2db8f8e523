"""Queries: one message with its history, outcomes by filter, cursor paging."""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec
import pytest

from dlrkit.errors import InputError
from dlrkit.outcome import Outcome
from dlrkit.store.base import Incoming, OutcomeFilter
from dlrkit.store.sql import SqlStore

from .traffic import START, Traffic, incoming, iso, traffic

run = asyncio.run
DAY = dt.timedelta(days=1)


@pytest.fixture
def filled(store: SqlStore) -> tuple[SqlStore, Traffic, dict[tuple[str, str], Outcome]]:
    """A store holding 300 messages, and their outcomes as stored."""
    sent = traffic(messages=300, reports=1000, seed=21)
    stored = run(store.ingest(sent.reports))
    final = {(s.outcome.provider, s.outcome.message_id): s.outcome for s in stored}
    return store, sent, final


def walk(store: SqlStore, flt: OutcomeFilter, limit: int) -> list[list[Outcome]]:
    pages: list[list[Outcome]] = []
    cursor = None
    while True:
        page = run(store.outcomes(flt, limit=limit, cursor=cursor))
        pages.append(list(page.items))
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def order(o: Outcome) -> tuple[dt.datetime, str, str]:
    return dt.datetime.fromisoformat(o.received_at or ""), o.provider, o.message_id


def test_paging_visits_every_outcome_once_in_order(
    filled: tuple[SqlStore, Traffic, dict[tuple[str, str], Outcome]],
) -> None:
    store, _, final = filled
    pages = walk(store, OutcomeFilter(), limit=7)
    assert [len(p) for p in pages] == [7] * 42 + [6]
    flat = [o for p in pages for o in p]
    assert flat == sorted(final.values(), key=order)


def later(o: Outcome, **changes: object) -> Incoming:
    """The same report a day later, as a distinct report."""
    at = dt.datetime.fromisoformat(o.received_at or "") + DAY
    return incoming(msgspec.structs.replace(o, received_at=iso(at), **changes))


def test_paging_while_reports_arrive_repeats_and_skips_nothing(
    filled: tuple[SqlStore, Traffic, dict[tuple[str, str], Outcome]],
) -> None:
    store, sent, final = filled
    new_messages = [
        later(i.outcome, message_id="late-" + i.outcome.message_id)
        for i in traffic(messages=50, reports=150, seed=24).reports
    ]
    more_reports = [later(i.outcome, raw={**i.outcome.raw, "again": True}) for i in sent.reports]
    arriving = [x for pair in zip(new_messages, more_reports, strict=False) for x in pair]
    seen: list[tuple[str, str]] = []
    cursor = None
    for n in range(1000):
        page = run(store.outcomes(OutcomeFilter(), limit=25, cursor=cursor))
        seen += [(o.provider, o.message_id) for o in page.items]
        run(store.ingest(arriving[n * 30 : n * 30 + 30]))  # changes rows paged and not yet paged
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 300 + 50
    assert set(final) < set(seen)


def test_a_page_exactly_full_has_no_next_cursor(store: SqlStore) -> None:
    sent = traffic(messages=3, reports=12, seed=22)
    run(store.ingest(sent.reports))
    page = run(store.outcomes(OutcomeFilter(), limit=3))
    assert len(page.items) == 3
    assert page.next_cursor is None


@pytest.mark.parametrize(
    "field",
    ["provider", "channel", "state", "reason", "country", "recipient"],
)
def test_each_filter_selects_exactly_its_outcomes(
    filled: tuple[SqlStore, Traffic, dict[tuple[str, str], Outcome]], field: str
) -> None:
    store, _, final = filled
    values = sorted({str(getattr(o, field)) for o in final.values()})
    assert len(values) > 1 or field == "recipient"
    for value in values[:6]:
        flt = OutcomeFilter(**{field: value})
        got = [o for p in walk(store, flt, limit=50) for o in p]
        assert got == sorted(
            (o for o in final.values() if str(getattr(o, field)) == value), key=order
        )
        assert got


def test_time_range_and_filters_combine(
    filled: tuple[SqlStore, Traffic, dict[tuple[str, str], Outcome]],
) -> None:
    store, _, final = filled
    since, until = START + dt.timedelta(minutes=10), START + dt.timedelta(minutes=40)
    flt = OutcomeFilter(
        since=iso(since), until=until.isoformat(), state="delivered", provider="plivo"
    )
    got = [o for p in walk(store, flt, limit=10) for o in p]
    expected = [
        o
        for o in sorted(final.values(), key=order)
        if since <= order(o)[0] < until and o.state == "delivered" and o.provider == "plivo"
    ]
    assert got == expected
    assert len(expected) > 5


@pytest.mark.parametrize(
    ("flt", "limit", "cursor", "field"),
    [
        (OutcomeFilter(state="gone"), 10, None, "state"),
        (OutcomeFilter(reason="bad luck"), 10, None, "reason"),
        (OutcomeFilter(channel="fax"), 10, None, "channel"),
        (OutcomeFilter(since="last week"), 10, None, "since"),
        (OutcomeFilter(recipient="+33\x00"), 10, None, "recipient"),
        (OutcomeFilter(provider="p" * 300), 10, None, "provider"),
        (OutcomeFilter(), 0, None, "limit"),
        (OutcomeFilter(), 1001, None, "limit"),
        (OutcomeFilter(), 10, "not-a-cursor", "cursor"),
        (OutcomeFilter(), 10, "WyJ4Il0", "cursor"),  # valid base64 JSON, wrong shape
    ],
    ids=[
        "state",
        "reason",
        "channel",
        "since",
        "nul",
        "long",
        "limit-0",
        "limit-big",
        "cursor",
        "cursor-shape",
    ],
)
def test_bad_query_names_the_field(
    store: SqlStore, flt: OutcomeFilter, limit: int, cursor: str | None, field: str
) -> None:
    with pytest.raises(InputError) as raised:
        run(store.outcomes(flt, limit=limit, cursor=cursor))
    assert raised.value.field == field


def test_message_returns_outcome_and_history(
    filled: tuple[SqlStore, Traffic, dict[tuple[str, str], Outcome]],
) -> None:
    store, sent, final = filled
    key = next(iter(sent.destiny))
    message = run(store.message(key[1]))
    assert message is not None
    assert message.outcome == final[key]
    assert len(message.history) == sent.count[key]
    assert run(store.message("no-such-message")) is None
    assert run(store.message(key[1], provider="someone-else")) is None
    for impossible in ("m\x00", "m" * 300, "\ud800"):  # no database error: simply not there
        assert run(store.message(impossible)) is None
        assert run(store.message(key[1], provider=impossible)) is None


def test_a_message_id_known_at_two_providers_needs_the_provider(store: SqlStore) -> None:
    item = traffic(messages=1, reports=4, seed=23).reports[0]
    twin = msgspec.structs.replace(item.outcome, provider="other", raw={"twin": True})
    run(store.ingest([item, incoming(twin)]))
    with pytest.raises(InputError) as raised:
        run(store.message(item.outcome.message_id))
    assert raised.value.field == "provider"
    assert "infobip, other" in str(raised.value)
    found = run(store.message(item.outcome.message_id, provider="other"))
    assert found is not None
    assert found.outcome.raw == {"twin": True}
