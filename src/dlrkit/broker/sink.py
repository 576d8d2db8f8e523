"""`BrokerSink`: the ingest service's `Sink` when it runs with `--broker` (a stateless node).

A webhook's reports are published to the broker, one message each with the report key as
`Nats-Msg-Id`; `persist` returns, and the provider gets its 2xx, only once the broker has
acknowledged every one. Nothing is written to the store on this path: workers
(`dlrkit worker`) do that. A report the broker drops as a repeat (the same report key within
its deduplication window) is counted as a duplicate; an older repeat is counted as accepted
here and dropped by the worker's idempotent store.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlrkit.broker.base import Broker
from dlrkit.store.base import Incoming


class BrokerSink:
    def __init__(self, broker: Broker):
        self.broker = broker

    async def open(self) -> None:
        await self.broker.open()

    async def close(self) -> None:
        await self.broker.close()

    async def persist(self, items: Sequence[Incoming]) -> list[bool]:
        if not items:
            return []
        return await self.broker.publish(items)

    async def check(self) -> None:
        await self.broker.check()
