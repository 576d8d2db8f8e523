"""The broker port on NATS JetStream (nats-py); with `topology`, the only modules of dlrkit
that import nats.

Reports are published with `Nats-Msg-Id` = report key (JetStream drops a repeat within the
stream's duplicate window) and `publish` returns once JetStream has acknowledged every one.
Workers fetch from the shared durable pull consumer; a dead letter is the original body on
`<stream>.dead.<provider>` with `Dlrkit-Error`, `Dlrkit-Deliveries`, `Dlrkit-Sequence` and
`Dlrkit-Report-Key` headers, acknowledged by JetStream before the original is let go.
`topology` makes the streams and the consumer.

The connection reconnects forever once up (a broker restart costs 503s while it is away, then
nothing); the first connection fails fast with a clear BrokerError.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

import msgspec
import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext, JetStreamManager

from dlrkit.broker import topology
from dlrkit.broker.base import BrokerError, Envelope, decode, encode
from dlrkit.broker.config import BrokerConfig
from dlrkit.errors import InputError
from dlrkit.store.base import Incoming

log = logging.getLogger("dlrkit.broker")
PUBLISH_TIMEOUT = 5.0  # seconds to wait for JetStream's acknowledgements of one batch
_CONNECT_TIMEOUT = 5.0
_HEADER_LIMIT = 1000  # characters of an error kept in a dead letter's header


class JetStream:
    """`dlrkit.broker.base.Broker` on NATS JetStream."""

    def __init__(self, config: BrokerConfig, *, consumer: bool = True):
        """`consumer`: also make sure the workers' consumer exists (ingest nodes need only the
        streams, but creating it early costs nothing)."""
        self.config = config
        self._with_consumer = consumer
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._jsm: JetStreamManager | None = None
        self._pull: JetStreamContext.PullSubscription | None = None
        self._closing = False

    # --- connection and topology ---------------------------------------------------------------

    async def open(self) -> None:
        if self._nc is not None:
            return
        self._closing = False
        await _probe(self.config)
        try:
            self._nc = await asyncio.wait_for(
                nats.connect(
                    servers=list(self.config.servers),
                    name="dlrkit",
                    connect_timeout=int(_CONNECT_TIMEOUT),
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnect,
                    reconnected_cb=self._on_reconnect,
                ),
                _CONNECT_TIMEOUT * 2,
            )
            self._js = self._nc.jetstream(timeout=PUBLISH_TIMEOUT)
            self._jsm = self._nc.jsm(timeout=PUBLISH_TIMEOUT)
            await topology.ensure(self._jsm, self.config, with_consumer=self._with_consumer)
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            await self.close()
            raise BrokerError(f"cannot use the broker at {self.config.display()}: {exc!r}") from exc
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        nc, self._nc, self._js, self._jsm, self._pull = self._nc, None, None, None, None
        if nc is not None and not nc.is_closed:
            self._closing = True
            await nc.close()  # every publish and acknowledgement was awaited or flushed

    async def _on_error(self, exc: Exception) -> None:
        log.warning("broker connection: %r", exc)

    async def _on_disconnect(self) -> None:
        if not self._closing:
            log.warning("disconnected from the broker at %s; reconnecting", self.config.display())

    async def _on_reconnect(self) -> None:
        log.warning("reconnected to the broker")

    def _require(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("the broker is not open: await broker.open() first")
        return self._js

    async def check(self) -> None:
        await self.backlog()

    async def backlog(self, dead: bool = False) -> int:
        """Reports in the stream now (not yet acknowledged by a worker), or dead letters."""
        self._require()
        assert self._jsm is not None
        name = self.config.dead_stream if dead else self.config.stream
        try:
            info = await self._jsm.stream_info(name)
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise BrokerError(f"the broker does not answer: {exc!r}") from exc
        return int(info.state.messages)

    # --- ingest nodes ---------------------------------------------------------------------------

    async def publish(self, items: Sequence[Incoming]) -> list[bool]:
        js = self._require()
        futures = []
        try:
            for item in items:
                futures.append(
                    await js.publish_async(
                        self.config.subject(item.outcome.provider),
                        encode(item),
                        headers={"Nats-Msg-Id": item.report_key},
                    )
                )
            acks = await asyncio.wait_for(asyncio.gather(*futures), PUBLISH_TIMEOUT)
        except nats.errors.MaxPayloadError as exc:
            raise InputError(
                "report too large for the broker's message size limit",
                field=f"reports[{len(futures)}]",
            ) from exc
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            for future in futures:
                future.cancel()
            raise BrokerError(f"the broker did not take the reports: {exc!r}") from exc
        return [bool(ack.duplicate) for ack in acks]

    # --- workers --------------------------------------------------------------------------------

    async def fetch(self, batch: int, timeout: float) -> list[Envelope]:
        js = self._require()
        with _trouble("fetch"):
            if self._pull is None:
                self._pull = await js.pull_subscribe_bind(
                    durable=self.config.consumer, stream=self.config.stream
                )
            try:
                messages = await self._pull.fetch(batch, timeout=timeout)
            except TimeoutError:  # nats' own TimeoutError derives from it: nothing came
                return []
        return [_envelope(m) for m in messages]

    async def ack(self, envelopes: Sequence[Envelope]) -> None:
        with _trouble("acknowledge"):
            for e in envelopes:
                await _msg(e).ack()
            await self._flush()

    async def retry(self, envelope: Envelope, delay: float) -> None:
        with _trouble("hand back"):
            await _msg(envelope).nak(delay=delay)
            await self._flush()

    async def hold(self, envelopes: Sequence[Envelope]) -> None:
        with _trouble("hold"):
            for e in envelopes:
                await _msg(e).in_progress()
            await self._flush()

    async def dead_letter(self, envelope: Envelope, error: str) -> None:
        msg = _msg(envelope)
        provider = envelope.item.outcome.provider if envelope.item else "unknown"
        headers = {
            "Nats-Msg-Id": f"dead-{self.config.stream}-{envelope.sequence}",
            "Dlrkit-Error": _header_text(error),
            "Dlrkit-Deliveries": str(envelope.deliveries),
            "Dlrkit-Sequence": str(envelope.sequence),
        }
        if envelope.item is not None:
            headers["Dlrkit-Report-Key"] = envelope.item.report_key
        with _trouble("dead-letter"):
            await self._require().publish(
                self.config.dead_subject(provider), msg.data, headers=headers
            )  # acknowledged by JetStream before the original goes
            await msg.ack()
            await self._flush()
        log.warning(
            "dead letter: stream sequence %d: %s", envelope.sequence, headers["Dlrkit-Error"]
        )

    async def _flush(self) -> None:
        if self._nc is not None:
            await self._nc.flush(timeout=int(PUBLISH_TIMEOUT))


def _envelope(msg: Msg) -> Envelope:
    meta = msg.metadata
    item: Incoming | None = None
    problem = None
    try:
        item = decode(msg.data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        problem = f"not a dlrkit report: {exc}"
    return Envelope(
        item=item,
        problem=problem,
        deliveries=meta.num_delivered,
        sequence=meta.sequence.stream,
        handle=msg,
    )


@contextmanager
def _trouble(doing: str) -> Iterator[None]:
    """nats' errors (connection lost, timed out) as BrokerError."""
    try:
        yield
    except (nats.errors.Error, OSError, TimeoutError) as exc:
        raise BrokerError(f"could not {doing} at the broker: {exc!r}") from exc


def _msg(envelope: Envelope) -> Msg:
    assert isinstance(envelope.handle, Msg)
    return envelope.handle


def _header_text(text: str) -> str:
    """One line of printable ASCII (NATS headers are ASCII, one line each)."""
    flat = " ".join(text.split())
    return flat.encode("ascii", "backslashreplace").decode("ascii")[:_HEADER_LIMIT]


async def _probe(config: BrokerConfig) -> None:
    """Fail fast and clearly when no server listens (nats-py would retry forever)."""
    problems = []
    for server in config.servers:
        parts = urlsplit(server)
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(parts.hostname, parts.port or 4222), _CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError) as exc:
            why = (exc.strerror if isinstance(exc, OSError) else None) or "no answer"
            problems.append(f"{parts.hostname}:{parts.port or 4222}: {why}")
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise BrokerError(f"cannot reach the broker at {config.display()}: {'; '.join(problems)}")
