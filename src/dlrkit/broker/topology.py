"""The JetStream streams and consumer of a deployment, made idempotently at start.

- `<stream>`: reports on `<stream>.reports.<provider>`, work-queue retention (a report leaves
  once a worker acknowledges it), file storage, deduplicated on `Nats-Msg-Id` (the report key)
  within `dedup` seconds;
- `<stream>_DEAD`: dead letters on `<stream>.dead.<provider>`, kept until an operator removes
  them (limits retention, no limits set);
- the durable pull consumer `<consumer>` the workers share on the reports: explicit acks,
  `ack_wait` seconds to hold a message, no delivery limit (workers decide what is dead).

Any node may start first, and any number of times: what exists with the right settings is
used as is, a stream whose adjustable settings differ is updated, and one that cannot be
adapted (made by hand with another retention, say) is a BrokerError that says so.
"""

from __future__ import annotations

import logging

import nats.js.errors
from nats.js import JetStreamManager
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)

from dlrkit.broker.base import BrokerError
from dlrkit.broker.config import BrokerConfig

log = logging.getLogger("dlrkit.broker")


def streams(c: BrokerConfig) -> tuple[StreamConfig, StreamConfig]:
    """The reports stream and the dead-letter stream."""
    reports = StreamConfig(
        name=c.stream,
        description="dlrkit: delivery reports from ingest nodes to workers",
        subjects=[c.reports_subjects],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        num_replicas=c.replicas,
        duplicate_window=c.dedup,
    )
    dead = StreamConfig(
        name=c.dead_stream,
        description="dlrkit: reports that workers could not store, with the error",
        subjects=[c.dead_subjects],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        num_replicas=c.replicas,
        duplicate_window=c.dedup,
    )
    return reports, dead


def consumer(c: BrokerConfig) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=c.consumer,
        description="dlrkit workers",
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=c.ack_wait,
        max_deliver=-1,  # workers dead-letter a failing message themselves
        max_ack_pending=-1,
        filter_subject=c.reports_subjects,
    )


async def ensure(jsm: JetStreamManager, c: BrokerConfig, *, with_consumer: bool) -> None:
    """Make the streams (and the consumer) unless they exist as they should."""
    for wanted in streams(c):
        await _stream(jsm, wanted)
    if with_consumer:
        await _consumer(jsm, c)


async def _stream(jsm: JetStreamManager, wanted: StreamConfig) -> None:
    assert wanted.name is not None
    try:
        found = (await jsm.stream_info(wanted.name)).config
    except nats.js.errors.NotFoundError:
        try:
            await jsm.add_stream(wanted)
            log.info("created JetStream stream %s", wanted.name)
            return
        except nats.js.errors.BadRequestError:  # another node created it meanwhile
            found = (await jsm.stream_info(wanted.name)).config
    settings = ("subjects", "retention", "duplicate_window", "num_replicas")
    if any(getattr(found, s) != getattr(wanted, s) for s in settings):
        try:
            await jsm.update_stream(wanted)
        except nats.js.errors.APIError as exc:
            raise BrokerError(
                f"stream {wanted.name} exists with another configuration that cannot be "
                f"changed ({exc.description}); use another stream= or remove it"
            ) from exc
        log.warning("updated JetStream stream %s to this node's configuration", wanted.name)


async def _consumer(jsm: JetStreamManager, c: BrokerConfig) -> None:
    wanted = consumer(c)
    try:
        found = (await jsm.consumer_info(c.stream, c.consumer)).config
    except nats.js.errors.NotFoundError:
        await jsm.add_consumer(c.stream, wanted)
        log.info("created JetStream consumer %s on %s", c.consumer, c.stream)
        return
    if found.ack_wait != wanted.ack_wait:
        await jsm.add_consumer(c.stream, wanted)  # updates the fields that may change
