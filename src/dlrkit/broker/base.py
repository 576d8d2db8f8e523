"""The broker port: what ingest nodes and workers need from a message broker, and nothing more.

Ingest nodes `publish` classified reports and answer the provider once the broker holds them;
workers `fetch` batches, store them, and settle each message: `ack` once committed, `retry`
later, `hold` while the store is down, or `dead_letter` with the error. The broker drops a report
published twice within its deduplication window (the report key is the message id); the store,
idempotent per report key, drops any later repeat. `dlrkit.broker.jetstream.JetStream` is the
NATS JetStream implementation; nothing else in dlrkit imports nats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

from dlrkit.errors import DlrkitError
from dlrkit.store.base import Incoming

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Incoming).decode


class BrokerError(DlrkitError):
    """The broker cannot be reached, or refused what was asked of it."""


def encode(item: Incoming) -> bytes:
    """The message body of one report: the `Incoming` as JSON."""
    return _encode(item)


def decode(data: bytes) -> Incoming:
    """The `Incoming` a message carries; msgspec.DecodeError / ValidationError when it is not one."""
    return _decode(data)


@dataclass(slots=True)
class Envelope:
    """One message handed to a worker: the report it carries, or why it could not be read."""

    item: Incoming | None  # None when the body is not a report (`problem` says why)
    problem: str | None
    deliveries: int  # how many times the broker has delivered it, this time included
    sequence: int  # its position in the stream
    handle: object  # the broker's own message object, for settling it


class Broker(Protocol):
    async def open(self) -> None:
        """Connect, and create the streams and the workers' consumer unless they exist
        (idempotent: every node may call it at start)."""

    async def close(self) -> None: ...

    async def publish(self, items: Sequence[Incoming]) -> list[bool]:
        """Hand reports over; returns once the broker has acknowledged every one (durable),
        with, for each, whether the broker dropped it as a repeat. BrokerError otherwise."""

    async def check(self) -> None:
        """Raise BrokerError unless the broker answers now and its stream exists."""

    async def fetch(self, batch: int, timeout: float) -> list[Envelope]:
        """Up to `batch` messages; an empty list when none came within `timeout` seconds."""

    async def ack(self, envelopes: Sequence[Envelope]) -> None:
        """Done with these: the broker may forget them."""

    async def retry(self, envelope: Envelope, delay: float) -> None:
        """Deliver this message again, to any worker, in `delay` seconds."""

    async def hold(self, envelopes: Sequence[Envelope]) -> None:
        """Still working on these: do not deliver them again yet."""

    async def dead_letter(self, envelope: Envelope, error: str) -> None:
        """Keep this message, with the error, on the dead-letter subject; then forget it here."""
