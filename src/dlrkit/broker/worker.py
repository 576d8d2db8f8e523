"""`Worker`: reports from the broker into the store, each acknowledged only once committed.

    worker = Worker(JetStream(BrokerConfig.from_url(url)), store, batch=256)
    await worker.run(stop)           # until `stop` is set; `dlrkit worker` runs exactly this

Each round fetches up to `batch` messages and writes them with one `Store.ingest` call (one
transaction: the store's group commit), `concurrency` batches at a time. Then, per message:

- committed (new or a repeat the store already had): acknowledged, so the broker forgets it;
- not a report at all, or a report the store refuses (`InputError`): dead-lettered at once,
  with the error (retrying cannot help);
- failed otherwise while the store answers: delivered again later, with a growing delay; after
  `max_deliveries` deliveries, dead-lettered with the last error;
- failed because the store is down (nothing of the batch went in and a read fails too): kept
  (the broker is told the work is in progress) and retried until the store is back, so an
  outage never sends good reports to the dead letters.

A worker killed at any point loses nothing: what it had not acknowledged is delivered again
after the consumer's `ack_wait`, and the store, idempotent per report key, keeps each report
once. Several workers share the consumer; each message goes to one of them at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from asyncio import FIRST_COMPLETED
from collections.abc import Sequence
from dataclasses import dataclass

from dlrkit.broker.base import Broker, BrokerError, Envelope
from dlrkit.errors import InputError
from dlrkit.store.base import Incoming, OutcomeFilter, Store, Stored

log = logging.getLogger("dlrkit.worker")
_MAX_DELAY = 30.0


@dataclass
class WorkerStats:
    stored: int = 0  # reports committed that the store did not have
    duplicates: int = 0  # reports the store already had
    retried: int = 0  # messages handed back for a later delivery
    dead: int = 0  # messages sent to the dead letters
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "retried": self.retried,
            "dead_lettered": self.dead,
            "batches": self.batches,
        }


class Worker:
    def __init__(
        self,
        broker: Broker,
        store: Store,
        *,
        batch: int = 256,
        max_deliveries: int = 5,
        retry_delay: float = 1.0,
        hold_every: float = 10.0,
        fetch_timeout: float = 1.0,
        concurrency: int = 2,
    ):
        """`hold_every`: while the store is down, how often to tell the broker the batch is
        still being worked on (must be below the consumer's ack_wait)."""
        if batch < 1 or max_deliveries < 1 or concurrency < 1:
            raise ValueError("batch, max_deliveries and concurrency must be at least 1")
        self.broker = broker
        self.store = store
        self.batch = batch
        self.max_deliveries = max_deliveries
        self.retry_delay = retry_delay
        self.hold_every = hold_every
        self.fetch_timeout = fetch_timeout
        self.concurrency = concurrency
        self.stats = WorkerStats()

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> WorkerStats:
        """Consume until `stop` is set (the batches in hand are finished first), or, with
        `until_idle`, until a fetch finds nothing. Up to `concurrency` batches are stored at
        once (fetching the next while the last commits); fetches are one at a time."""
        working: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                try:
                    envelopes = await self.broker.fetch(self.batch, self.fetch_timeout)
                except BrokerError as exc:  # reconnecting: try again shortly
                    log.warning("%s; fetching again in 1 s", exc)
                    await _sleep(1.0, stop)
                    continue
                if envelopes:
                    working.add(asyncio.create_task(self.handle(envelopes, stop)))
                elif until_idle:
                    break
                while len(working) >= self.concurrency or (working and not envelopes):
                    done, working = await asyncio.wait(working, return_when=FIRST_COMPLETED)
                    _settled(done)
        finally:
            if working:
                _settled((await asyncio.wait(working))[0])
        return self.stats

    async def handle(self, envelopes: Sequence[Envelope], stop: asyncio.Event) -> None:
        """Store one fetched batch and settle every message of it."""
        self.stats.batches += 1
        pending: list[Envelope] = []
        for e in envelopes:
            if e.item is None:
                await self._dead(e, e.problem or "not a report")
            else:
                pending.append(e)
        delay = self.retry_delay
        while pending:
            results = await self._ingest(pending)
            failed: list[tuple[Envelope, Exception]] = []
            committed: list[Envelope] = []
            for e, result in zip(pending, results, strict=True):
                if isinstance(result, Exception):
                    failed.append((e, result))
                else:
                    committed.append(e)
                    if result.duplicate:
                        self.stats.duplicates += 1
                    else:
                        self.stats.stored += 1
            await self.broker.ack(committed)  # only what is committed
            broken: list[tuple[Envelope, Exception]] = []
            for e, exc in failed:
                if isinstance(exc, InputError):
                    await self._dead(e, f"the store refused it: {exc}")
                else:
                    broken.append((e, exc))
            if not broken:
                return
            if committed or await self._store_answers():  # these messages' own fault
                for e, exc in broken:
                    await self._again(e, exc)
                return
            if stop.is_set():  # the store is down and we are asked to stop: hand them back
                for e, exc in broken:
                    await self._again(e, exc, count=False)
                return
            pending = [e for e, _ in broken]
            log.warning(
                "store unavailable (%s); holding %d reports, retrying in %.0f s",
                broken[0][1],
                len(pending),
                delay,
            )
            await self._wait_holding(pending, delay, stop)
            delay = min(delay * 2, _MAX_DELAY)

    async def _ingest(self, envelopes: Sequence[Envelope]) -> list[Stored | Exception]:
        """One transaction for the batch; if it fails, each report alone, so that one bad
        report fails by itself."""
        items: list[Incoming] = [e.item for e in envelopes if e.item is not None]
        try:
            return list(await self.store.ingest(items))
        except (
            Exception
        ) as exc:  # the store is down, or which report is at fault? alone, each tells
            if not await self._store_answers():
                return [exc] * len(items)
            log.info("a batch of %d failed (%r); storing its reports one by one", len(items), exc)
        results = await asyncio.gather(
            *(self.store.ingest([item]) for item in items), return_exceptions=True
        )
        out: list[Stored | Exception] = []
        for result in results:
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancellation: not the report's fault
                out.append(result)
            else:
                out.append(result[0])
        return out

    async def _store_answers(self) -> bool:
        try:
            await self.store.outcomes(OutcomeFilter(), limit=1)
        except Exception:  # the answer is "no": the caller holds the reports and waits
            return False
        return True

    async def _wait_holding(
        self, envelopes: Sequence[Envelope], seconds: float, stop: asyncio.Event
    ) -> None:
        """Sleep `seconds` (less if stopped), telling the broker the work is in progress."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while not stop.is_set() and (left := end - loop.time()) > 0:
            await self.broker.hold(envelopes)
            await _sleep(min(left, self.hold_every), stop)

    async def _again(self, e: Envelope, exc: Exception, *, count: bool = True) -> None:
        if count and e.deliveries >= self.max_deliveries:
            await self._dead(e, f"failed {e.deliveries} times; last error: {exc!r}")
            return
        delay = min(self.retry_delay * 2 ** (e.deliveries - 1), _MAX_DELAY)
        log.info("report at sequence %d failed (%r); again in %.0f s", e.sequence, exc, delay)
        await self.broker.retry(e, delay)
        self.stats.retried += 1

    async def _dead(self, e: Envelope, error: str) -> None:
        await self.broker.dead_letter(e, error)
        self.stats.dead += 1


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    """Sleep, unless and until `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _settled(tasks: set[asyncio.Task[None]]) -> None:
    """Raise what a finished batch raised, except broker trouble: what was not acknowledged
    then is delivered again after ack_wait, and the store drops what it already has."""
    for task in tasks:
        try:
            task.result()
        except BrokerError as exc:
            log.warning("%s; the batch's unsettled reports will be delivered again", exc)
