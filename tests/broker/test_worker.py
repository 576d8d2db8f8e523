"""The worker against the real NATS server and real stores: stores, acknowledges only what is
committed, dead-letters what can never be stored, waits out a store that is down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import msgspec
import pytest
from nats.js import JetStreamManager

from dlrkit.broker.config import BrokerConfig
from dlrkit.broker.jetstream import JetStream
from dlrkit.broker.worker import Worker
from dlrkit.store import open_store
from dlrkit.store.base import Incoming, Store, Stored
from dlrkit.store.sql import SqlStore
from tests.broker.conftest import NATS_URL
from tests.broker.items import incoming

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'dlrkit.db'}")
    await opened.open()
    yield opened
    await opened.close()


async def _stored_keys(store: Store, items: Sequence[Incoming]) -> set[str]:
    keys = set()
    for item in items:
        found = await store.message(item.outcome.message_id, item.outcome.provider)
        if found is not None:
            keys |= {h.report_key for h in found.history}
    return keys


async def test_reports_are_stored_then_acknowledged(broker: JetStream, store: Store) -> None:
    items = incoming(40, "infobip") + incoming(30, "plivo") + incoming(30, "smspartner")
    await broker.publish(items)
    stats = await Worker(broker, store, batch=32).run(asyncio.Event(), until_idle=True)
    assert (stats.stored, stats.duplicates, stats.dead, stats.retried) == (100, 0, 0, 0)
    assert stats.batches >= 4
    assert await _stored_keys(store, items) == {i.report_key for i in items}
    assert await broker.backlog() == 0  # acknowledged, so gone from the work queue
    for item in items[:5]:
        found = await store.message(item.outcome.message_id, item.outcome.provider)
        assert found is not None
        assert found.outcome.state == item.outcome.state


async def test_postgresql_and_repeats_the_store_already_has(broker: JetStream, pg_url: str) -> None:
    store = open_store(pg_url)
    await store.open()
    try:
        items = incoming(20, "plivo")
        await store.ingest(items[:5])  # stored before: the worker's copies change nothing
        await broker.publish(items)
        stats = await Worker(broker, store, batch=256).run(asyncio.Event(), until_idle=True)
        assert (stats.stored, stats.duplicates) == (15, 5)
        assert await _stored_keys(store, items) == {i.report_key for i in items}
    finally:
        await store.close()
    assert await broker.backlog() == 0


async def test_what_cannot_be_stored_goes_to_the_dead_letters(
    broker: JetStream, store: Store, jsm: JetStreamManager
) -> None:
    import nats

    good = incoming(3, "infobip")
    bad = msgspec.structs.replace(
        good[0],
        report_key="b" * 64,
        outcome=msgspec.structs.replace(good[0].outcome, message_id="x" * 300),
    )
    await broker.publish([good[0], bad, *good[1:]])
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().publish(broker.config.subject("plivo"), b"not json at all")
    finally:
        await nc.close()
    stats = await Worker(broker, store, batch=10).run(asyncio.Event(), until_idle=True)
    assert (stats.stored, stats.dead) == (3, 2)
    assert await _stored_keys(store, good) == {i.report_key for i in good}
    assert await broker.backlog() == 0
    assert await broker.backlog(dead=True) == 2
    errors = set()
    for seq in (1, 2):
        dead = await jsm.get_msg(broker.config.dead_stream, seq)
        assert dead.headers is not None
        errors.add(dead.headers["Dlrkit-Error"].split(":")[0])
    assert errors == {"the store refused it", "not a dlrkit report"}


class _Failing:
    """The real store, except that reports with one key fail as a broken database would."""

    def __init__(self, store: Store, key: str):
        self.store, self.key = store, key

    async def ingest(self, batch: Sequence[Incoming]) -> list[Stored]:
        if any(i.report_key == self.key for i in batch):
            raise RuntimeError("disk I/O error")
        return await self.store.ingest(batch)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


async def test_a_report_failing_every_time_is_dead_lettered_after_n(
    broker: JetStream, store: Store, jsm: JetStreamManager
) -> None:
    items = incoming(4, "smspartner")
    await broker.publish(items)
    failing = _Failing(store, items[2].report_key)
    worker = Worker(broker, failing, batch=10, max_deliveries=3, retry_delay=0.05)  # type: ignore[arg-type]
    stats = await worker.run(asyncio.Event(), until_idle=True)
    for _ in range(20):  # redeliveries come back after their delay
        if stats.dead:
            break
        await asyncio.sleep(0.1)
        await worker.run(asyncio.Event(), until_idle=True)
    assert (stats.stored, stats.retried, stats.dead) == (3, 2, 1)
    dead = await jsm.get_msg(broker.config.dead_stream, 1)
    assert dead.headers is not None
    assert dead.headers["Dlrkit-Deliveries"] == "3"
    assert (
        dead.headers["Dlrkit-Error"] == "failed 3 times; last error: RuntimeError('disk I/O error')"
    )
    assert dead.headers["Dlrkit-Report-Key"] == items[2].report_key


async def test_a_store_that_is_down_is_waited_for(broker: JetStream, tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'later.db'}")  # not open yet: every call fails
    items = incoming(10, "plivo")
    await broker.publish(items)
    worker = Worker(broker, store, batch=10, retry_delay=0.2, hold_every=0.5)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(3)  # longer than ack_wait (2 s): held, so not delivered twice
    assert (worker.stats.stored, worker.stats.retried, worker.stats.dead) == (0, 0, 0)
    await store.open()
    try:
        for _ in range(100):
            if worker.stats.stored == 10:
                break
            await asyncio.sleep(0.05)
        stop.set()
        stats = await running
        assert (stats.stored, stats.duplicates, stats.dead, stats.batches) == (10, 0, 0, 1)
        assert await _stored_keys(store, items) == {i.report_key for i in items}
    finally:
        await store.close()
    assert await broker.backlog() == 0


async def test_a_worker_needs_an_open_broker(store: Store) -> None:
    broker = JetStream(BrokerConfig.from_url("nats://127.0.0.1:4222?stream=NEVER_OPENED"))
    with pytest.raises(RuntimeError, match="not open"):
        await Worker(broker, store).run(asyncio.Event(), until_idle=True)


async def test_a_lost_connection_is_waited_out_not_fatal(
    broker: JetStream, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    assert broker._nc is not None
    await broker._nc.close()  # the connection drops under the worker
    stop = asyncio.Event()
    running = asyncio.create_task(Worker(broker, store).run(stop))
    await asyncio.sleep(1.5)
    assert not running.done()
    stop.set()
    stats = await asyncio.wait_for(running, 5)
    assert stats.batches == 0
    assert "could not fetch at the broker" in caplog.text
    assert "fetching again in 1 s" in caplog.text
