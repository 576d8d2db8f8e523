"""The JetStream port against the real NATS server: topology made idempotently, publishes
acknowledged and deduplicated, pull fetches, redelivery, dead letters, clear failures."""

from __future__ import annotations

import asyncio
import time

import nats
import pytest
from nats.js import JetStreamManager
from nats.js.api import RetentionPolicy, StreamConfig

from dlrkit.broker.base import BrokerError, encode
from dlrkit.broker.config import BrokerConfig
from dlrkit.broker.jetstream import JetStream
from dlrkit.errors import InputError
from tests.broker.conftest import NATS_URL, StreamUrl
from tests.broker.items import incoming

pytestmark = pytest.mark.anyio


async def test_topology_is_made_once_and_reused(broker: JetStream, jsm: JetStreamManager) -> None:
    c = broker.config
    again = JetStream(c)  # a second node starting: finds everything in place
    await again.open()
    await again.close()
    reports = (await jsm.stream_info(c.stream)).config
    assert reports.subjects == [f"{c.stream}.reports.>"]
    assert reports.retention == RetentionPolicy.WORK_QUEUE
    assert reports.duplicate_window == 120
    dead = (await jsm.stream_info(c.dead_stream)).config
    assert dead.subjects == [f"{c.stream}.dead.>"]
    assert dead.retention == RetentionPolicy.LIMITS
    consumer = (await jsm.consumer_info(c.stream, "workers")).config
    assert (consumer.ack_wait, consumer.max_deliver, consumer.filter_subject) == (
        2,
        -1,
        f"{c.stream}.reports.>",
    )


async def test_publish_is_acknowledged_and_deduplicated(broker: JetStream) -> None:
    items = incoming(3)
    assert await broker.publish(items) == [False, False, False]
    assert await broker.publish([items[1], items[1]]) == [True, True]  # same report key
    assert await broker.publish([]) == []
    assert await broker.backlog() == 3
    await broker.check()


async def test_fetch_ack_and_retry(broker: JetStream) -> None:
    items = incoming(3, "plivo")
    await broker.publish(items)
    got = await broker.fetch(10, timeout=2)
    assert [e.item for e in got] == items  # the very reports, decoded
    assert [(e.deliveries, e.problem) for e in got] == [(1, None)] * 3
    await broker.ack(got[:2])
    await broker.retry(got[2], delay=0.2)
    again = await broker.fetch(10, timeout=3)
    assert [(e.item, e.deliveries, e.sequence) for e in again] == [(items[2], 2, got[2].sequence)]
    await broker.hold(again)
    await broker.ack(again)
    assert await broker.fetch(10, timeout=0.5) == []
    assert await broker.backlog() == 0  # work queue: acknowledged reports leave the stream


async def test_dead_letter_keeps_the_body_and_the_error(
    broker: JetStream, jsm: JetStreamManager
) -> None:
    [item] = incoming(1, "smspartner")
    await broker.publish([item])
    [envelope] = await broker.fetch(1, timeout=2)
    await broker.dead_letter(envelope, "the store refused it:\nmessage_id too long é")
    c = broker.config
    # the server counts the terminated message out of the consumer's backlog a moment later
    for _ in range(50):
        if await broker.backlog() == 0:
            break
        await asyncio.sleep(0.05)
    assert (await broker.backlog(), await broker.backlog(dead=True)) == (0, 1)
    dead = await jsm.get_msg(c.dead_stream, 1)
    assert dead.subject == f"{c.stream}.dead.smspartner"
    assert dead.data == encode(item)
    assert dead.headers is not None
    assert dead.headers["Dlrkit-Error"] == "the store refused it: message_id too long \\xe9"
    assert dead.headers["Dlrkit-Report-Key"] == item.report_key
    assert dead.headers["Dlrkit-Deliveries"] == "1"
    assert dead.headers["Dlrkit-Sequence"] == str(envelope.sequence)


async def test_a_message_that_is_not_a_report(broker: JetStream) -> None:
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().publish(broker.config.subject("infobip"), b'{"report_key": 1}')
    finally:
        await nc.close()
    [envelope] = await broker.fetch(1, timeout=2)
    assert envelope.item is None
    assert envelope.problem is not None
    assert envelope.problem.startswith("not a dlrkit report: Expected `str`, got `int`")


async def test_oversized_report_is_refused_as_input(broker: JetStream) -> None:
    [item] = incoming(1)
    huge = item.outcome.__class__(
        **{f: getattr(item.outcome, f) for f in item.outcome.__struct_fields__ if f != "raw"},
        raw={"blob": "x" * (2 << 20)},
    )
    with pytest.raises(InputError) as caught:
        await broker.publish([item, type(item)(report_key="k" * 64, outcome=huge)])
    assert caught.value.field == "reports[1]"


async def test_check_fails_when_the_stream_is_gone(
    broker: JetStream, jsm: JetStreamManager
) -> None:
    await jsm.delete_stream(broker.config.stream)
    with pytest.raises(BrokerError, match="does not answer"):
        await broker.check()
    with pytest.raises(BrokerError, match="did not take the reports"):
        await broker.publish(incoming(1))


async def test_unreachable_broker_fails_fast_and_clearly() -> None:
    started = time.monotonic()
    broker = JetStream(BrokerConfig.from_url("nats://127.0.0.1:1?stream=NOWHERE"))
    with pytest.raises(BrokerError, match=r"cannot reach the broker at nats://127.0.0.1:1: "):
        await broker.open()
    assert time.monotonic() - started < 5


async def test_a_stream_that_cannot_be_adapted_is_an_error(stream_url: StreamUrl) -> None:
    config = BrokerConfig.from_url(stream_url())
    nc = await nats.connect(NATS_URL)
    try:  # someone made the stream by hand with limits retention, which cannot change
        await nc.jetstream().add_stream(
            StreamConfig(name=config.stream, subjects=[config.reports_subjects])
        )
    finally:
        await nc.close()
    with pytest.raises(BrokerError, match=f"stream {config.stream} exists with another"):
        await JetStream(config).open()
