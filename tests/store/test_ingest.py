"""Ingest: exactly once in effect, order-independent, final stays final, nothing lost under load."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from dlrkit.errors import InputError
from dlrkit.outcome import Outcome
from dlrkit.store.base import Incoming, Stored, StoreError
from dlrkit.store.engine import engine_for
from dlrkit.store.schema import outcomes, reports
from dlrkit.store.sql import SqlStore
from dlrkit.store.validate import check_batch
from dlrkit.vocab import State

from .traffic import Traffic, incoming, traffic

run = asyncio.run


def snapshot(url: str) -> tuple[list[Any], list[Any]]:
    """Every stored row (outcomes without updated_at, which is wall-clock), in key order."""
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            columns = [c for c in outcomes.c if c.name != "updated_at"]
            rows = connection.execute(
                sa.select(*columns).order_by(outcomes.c.provider, outcomes.c.message_id)
            )
            history = connection.execute(sa.select(reports).order_by(reports.c.report_key))
            return list(rows), list(history)
    finally:
        engine.dispose()


async def ingest_concurrently(
    store: SqlStore, items: Sequence[Incoming], *, tasks: int, seed: int
) -> list[Stored]:
    """`items` split into small batches of random size, sent by `tasks` concurrent tasks."""
    rng = random.Random(seed)
    batches: list[Sequence[Incoming]] = []
    start = 0
    while start < len(items):
        size = rng.randint(1, 20)
        batches.append(items[start : start + size])
        start += size
    queue = iter(batches)
    results: list[Stored] = []

    async def worker() -> None:
        for batch in queue:
            stored = await store.ingest(batch)
            assert [s.report_key for s in stored] == [i.report_key for i in batch]
            results.extend(stored)

    await asyncio.gather(*(worker() for _ in range(tasks)))
    return results


def check_destinies(url: str, expected: Traffic) -> None:
    """Every message ended where its reports lead, counted every report once."""
    rows, history = snapshot(url)
    assert len(history) == len(expected.reports)
    by_key = {(r.provider, r.message_id): r for r in rows}
    assert by_key.keys() == expected.destiny.keys()
    for key, state in expected.destiny.items():
        row = by_key[key]
        assert (row.state, row.final, row.reports) == (
            state.value,
            state.final,
            expected.count[key],
        ), key
        outcome = msgspec.json.decode(row.outcome, type=Outcome)
        assert outcome.state == state
        assert outcome.received_at == expected.first_seen[key]


def test_same_batch_twice_changes_nothing(store: SqlStore) -> None:
    batch = traffic(messages=20, reports=70, seed=1).reports
    first = run(store.ingest(batch))
    before = snapshot(store.url)
    again = run(store.ingest(batch))
    assert [s.duplicate for s in first] == [False] * 70
    assert [s.duplicate for s in again] == [True] * 70
    assert [s.outcome for s in again] == [s.outcome for s in first]
    assert snapshot(store.url) == before


def test_repeats_inside_one_batch_count_once(store: SqlStore) -> None:
    a, b = traffic(messages=1, reports=2, seed=2).reports
    stored = run(store.ingest([a, b, a, b, a]))
    assert [s.duplicate for s in stored] == [False, False, True, True, True]
    assert stored[-1].outcome.reports == 2


def test_three_shuffled_deliveries_store_what_one_in_order_does(
    fresh_url: Callable[[], str],
) -> None:
    sent = traffic(messages=3000, reports=10_000)
    in_order, shuffled = fresh_url(), fresh_url()

    async def once_in_order() -> None:
        store = SqlStore(in_order)
        await store.open()
        for start in range(0, len(sent.reports), 500):
            await store.ingest(sent.reports[start : start + 500])
        await store.close()

    async def three_times_shuffled() -> list[Stored]:
        store = SqlStore(shuffled)
        await store.open()
        items = sent.reports * 3
        random.Random(7).shuffle(items)
        stored = await ingest_concurrently(store, items, tasks=32, seed=3)
        await store.close()
        return stored

    run(once_in_order())
    stored = run(three_times_shuffled())
    assert Counter(s.report_key for s in stored if not s.duplicate) == Counter(
        i.report_key for i in sent.reports
    )
    assert snapshot(shuffled) == snapshot(in_order)
    check_destinies(shuffled, sent)


def test_a_final_outcome_never_moves_back_to_pending(store: SqlStore) -> None:
    accepted, pending, delivered = traffic(messages=1, reports=3, seed=4).reports[:3]
    assert [i.outcome.state for i in (accepted, pending, delivered)] == [
        State.ACCEPTED,
        State.PENDING,
        State.DELIVERED,
    ]
    run(store.ingest([delivered]))
    late = run(store.ingest([pending]))[0].outcome
    later = run(store.ingest([accepted]))[0].outcome
    assert (late.state, late.final, later.state, later.final) == (
        State.DELIVERED,
        True,
        State.DELIVERED,
        True,
    )
    assert later.reports == 3
    assert later.received_at == accepted.outcome.received_at  # first seen: the earliest report


def test_history_keeps_every_distinct_report_in_time_order(store: SqlStore) -> None:
    sent = traffic(messages=5, reports=30, seed=6)
    run(store.ingest(list(reversed(sent.reports))))
    run(store.ingest(sent.reports[:10]))
    for key, count in sent.count.items():
        message = run(store.message(key[1], provider=key[0]))
        assert message is not None
        mine = [i for i in sent.reports if (i.outcome.provider, i.outcome.message_id) == key]
        assert len(message.history) == count == len(mine)
        assert [h.report_key for h in message.history] == [i.report_key for i in mine]
        assert [h.outcome for h in message.history] == [i.outcome for i in mine]
        assert [h.state for h in message.history] == [i.outcome.state.value for i in mine]
        assert message.outcome.state == sent.destiny[key]


def test_concurrent_tasks_lose_and_duplicate_nothing(store: SqlStore) -> None:
    sent = traffic(messages=400, reports=1500, seed=8)
    items = sent.reports * 2  # every report arrives twice, from different tasks
    random.Random(9).shuffle(items)
    stored = run(ingest_concurrently(store, items, tasks=100, seed=10))
    assert len(stored) == 3000
    assert Counter(s.report_key for s in stored if not s.duplicate) == Counter(
        i.report_key for i in sent.reports
    )
    check_destinies(store.url, sent)


@pytest.mark.parametrize("fresh_url", ["postgresql"], indirect=True)
def test_two_postgresql_stores_at_once_lose_and_duplicate_nothing(
    fresh_url: Callable[[], str],
) -> None:
    url = fresh_url()
    sent = traffic(messages=500, reports=2000, seed=11)

    async def both() -> list[Stored]:
        first, second = SqlStore(url), SqlStore(url)
        await asyncio.gather(first.open(), second.open())  # migrating at once is safe too
        mine, theirs = sent.reports * 2, sent.reports * 2
        random.Random(12).shuffle(mine)
        random.Random(13).shuffle(theirs)
        results = await asyncio.gather(
            ingest_concurrently(first, mine, tasks=20, seed=14),
            ingest_concurrently(second, theirs, tasks=20, seed=15),
        )
        await asyncio.gather(first.close(), second.close())
        return results[0] + results[1]

    stored = run(both())
    assert len(stored) == 8000
    assert Counter(s.report_key for s in stored if not s.duplicate) == Counter(
        i.report_key for i in sent.reports
    )
    check_destinies(url, sent)


def test_reports_survive_closing_and_reopening(url: str) -> None:
    sent = traffic(messages=10, reports=30, seed=16)

    async def scenario() -> tuple[list[Stored], list[Stored]]:
        store = SqlStore(url)
        await store.open()
        first = await store.ingest(sent.reports)
        await store.close()
        await store.open()
        again = await store.ingest(sent.reports)
        await store.close()
        return first, again

    first, again = run(scenario())
    assert not any(s.duplicate for s in first)
    assert all(s.duplicate for s in again)
    check_destinies(url, sent)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"message_id": "m" * 256}, "batch[1].outcome.message_id"),
        ({"message_id": ""}, "batch[1].outcome.message_id"),
        ({"provider": "in\x00fobip"}, "batch[1].outcome.provider"),
        ({"country": "FRA"}, "batch[1].outcome.country"),
        ({"received_at": "yesterday"}, "batch[1].outcome.received_at"),
        ({"message_id": "m\ud800"}, "batch[1].outcome.message_id"),
        ({"raw": {"text": "\udcff"}}, "batch"),
        ({"reports": 0}, "batch[1].outcome.reports"),
        ({"reports": 2**31}, "batch[1].outcome.reports"),
    ],
    ids=[
        "long-id",
        "empty-id",
        "nul",
        "country",
        "time",
        "surrogate",
        "raw-not-unicode",
        "no-reports",
        "too-many-reports",
    ],
)
def test_bad_reports_are_refused_before_anything_is_written(
    store: SqlStore, change: dict[str, object], field: str
) -> None:
    good, other = traffic(messages=1, reports=4, seed=17).reports[:2]
    bad = Incoming(report_key="f" * 64, outcome=msgspec.structs.replace(other.outcome, **change))
    with pytest.raises(InputError) as raised:
        run(store.ingest([good, bad]))
    assert raised.value.field == field
    assert snapshot(store.url) == ([], [])


def test_a_checked_batch_is_not_checked_again() -> None:
    """The webhook route checks a batch, then the store is given it: checked once, not twice."""
    sent = traffic(messages=3, reports=9, seed=16).reports
    checked = check_batch(sent)
    assert list(checked) == sent
    assert check_batch(checked) is checked
    assert check_batch(list(checked)) is not checked  # any other sequence is checked


def test_one_huge_batch_is_stored_whole(store: SqlStore) -> None:
    sent = traffic(messages=3000, reports=10_000, seed=19)
    stored = run(store.ingest(sent.reports))  # 5 writer groups' worth, looked up in chunks
    assert not any(s.duplicate for s in stored)
    assert all(s.duplicate for s in run(store.ingest(sent.reports)))
    check_destinies(store.url, sent)


def test_a_report_without_received_at_is_stamped(store: SqlStore) -> None:
    item = traffic(messages=1, reports=4, seed=18).reports[0]
    stored = run(store.ingest([incoming(msgspec.structs.replace(item.outcome, received_at=None))]))
    assert stored[0].outcome.received_at is not None
    assert stored[0].outcome.received_at.endswith("Z")


def test_a_store_not_open_says_so(url: str) -> None:
    store = SqlStore(url)
    batch = traffic(messages=1, reports=4).reports
    with pytest.raises(StoreError, match="not open"):
        run(store.ingest(batch))
    run(store.open())
    run(store.close())
    with pytest.raises(StoreError, match="not open"):
        run(store.ingest(batch))
