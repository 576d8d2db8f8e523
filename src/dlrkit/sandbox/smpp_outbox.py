"""Receipts on their way to ESMEs: one ordered queue per account, emptied by a courier task.

An SMSC hands a receipt to any receiver or transceiver session bound with the account's
system_id (a transmitter-only ESME gets its receipts on a separate receiver bind). While none
is bound, receipts wait, in order, and go out as soon as one binds; a receipt the ESME does
not acknowledge with ESME_ROK (a NAK, or no deliver_sm_resp in time) is offered again.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dlrkit.sandbox.smpp_receipts import Receipt

log = logging.getLogger("dlrkit.sandbox.smpp")
REDELIVER_AFTER = 2.0  # real seconds between offers of a receipt the ESME did not acknowledge


class Receiver(Protocol):
    async def deliver(self, receipt: Receipt) -> bool: ...


@dataclass(slots=True)
class _Queue:
    receipts: collections.deque[Receipt] = field(default_factory=collections.deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Outboxes:
    """Per-account receipt queues; `receivers(system_id)` lists the sessions that may take them."""

    def __init__(self, receivers: Callable[[str], Sequence[Receiver]]) -> None:
        self._receivers = receivers
        self._queues: dict[str, _Queue] = {}

    def put(self, system_id: str, receipt: Receipt) -> None:
        queue = self._queue(system_id)
        queue.receipts.append(receipt)
        queue.wake.set()

    def wake(self, system_id: str) -> None:
        """A receiver bound: try the account's waiting receipts now."""
        self._queue(system_id).wake.set()

    def pending(self, system_id: str) -> int:
        """Receipts of the account not yet acknowledged by an ESME."""
        queue = self._queues.get(system_id)
        return len(queue.receipts) if queue else 0

    def _queue(self, system_id: str) -> _Queue:
        queue = self._queues.get(system_id)
        if queue is None:
            queue = self._queues[system_id] = _Queue()
            queue.task = asyncio.get_running_loop().create_task(self._courier(system_id, queue))
        return queue

    async def _courier(self, system_id: str, queue: _Queue) -> None:
        while True:
            await queue.wake.wait()
            queue.wake.clear()
            while queue.receipts:
                receivers = self._receivers(system_id)
                try:
                    if not receivers or not await receivers[0].deliver(queue.receipts[0]):
                        break
                except Exception:  # a bug must not stop the account's receipts: log, skip one
                    log.exception("receipt %s could not be sent", queue.receipts[0].message_id)
                queue.receipts.popleft()
            if queue.receipts and self._receivers(system_id):
                await asyncio.sleep(REDELIVER_AFTER)
                queue.wake.set()

    async def close(self) -> None:
        tasks = [q.task for q in self._queues.values() if q.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
