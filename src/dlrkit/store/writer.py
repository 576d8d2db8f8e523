"""Group commit: writer threads that gather concurrent `ingest` calls into one transaction each.

A durable commit has a cost whatever its size (an fsync, round trips, statements to prepare).
So callers do not commit themselves: they queue their batch and wait; a writer thread takes
everything queued, writes it in one transaction, commits once, then resolves the callers'
futures (one wake-up per event loop). The busier the store, the larger the groups: throughput
grows with load instead of being capped at one commit per report (`bench/store.py` shows the
gain). SQLite has exactly one writer thread (one writer is all SQLite allows); PostgreSQL has
a few, each on its own pooled connection.

A group whose transaction fails is retried one submission at a time, so a bad batch fails alone
and its neighbours are still stored; transient PostgreSQL failures (deadlock, serialization,
lost connection) are retried a few times before the caller hears of them.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from dlrkit.store.base import Incoming, Stored, StoreError
from dlrkit.store.engine import transaction

log = logging.getLogger(__name__)

Work = Callable[[sa.Connection, Sequence[Incoming]], list[Stored]]
Commit = Callable[[Sequence[Incoming]], list[Stored]]  # one durable transaction, or raises
_TRANSIENT = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_ATTEMPTS = 4


@dataclass(slots=True)
class _Job:
    items: Sequence[Incoming]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[list[Stored]]
    result: list[Stored] | BaseException | None = None


def committing(engine: sa.Engine, work: Work) -> Commit:
    """A `Commit` that runs `work` in a write transaction of `engine`, retrying transient
    PostgreSQL failures (deadlock, serialization, lost connection) a few times."""

    def commit(items: Sequence[Incoming]) -> list[Stored]:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with transaction(engine, write=True) as connection:
                    return work(connection, items)
            except sa.exc.DBAPIError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if attempt == _ATTEMPTS or not (exc.connection_invalidated or code in _TRANSIENT):
                    raise
                log.info("transient store failure (attempt %d): %s", attempt, exc.orig)
                time.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    return commit


class GroupCommitter:
    """`threads` writers, each committing up to `max_group` reports per transaction with
    `commit` (in this process: `committing(engine, work)`; or a writer process's, see
    `process.py`)."""

    def __init__(self, commit: Commit, *, threads: int = 1, max_group: int = 2000):
        self._commit_group = commit
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._loop, name=f"dlrkit-store-writer-{n}", daemon=True)
            for n in range(threads)
        ]
        self._closed = False
        self._lock = threading.Lock()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, items: Sequence[Incoming]) -> asyncio.Future[list[Stored]]:
        """Queue a batch (from a running event loop); the future resolves once it is committed."""
        loop = asyncio.get_running_loop()
        job = _Job(items, loop, loop.create_future())
        with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            self._queue.put(job)
        return job.future

    def stop(self) -> None:
        """Finish every queued batch, then end the writer threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            job = self._queue.get()
            if job is None:
                return
            group, size = [job], len(job.items)
            while size < self._max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                group.append(more)
                size += len(more.items)
            self._commit(group)

    def _commit(self, group: list[_Job]) -> None:
        self._write(group)
        by_loop: defaultdict[asyncio.AbstractEventLoop, list[_Job]] = defaultdict(list)
        for job in group:
            by_loop[job.loop].append(job)
        for loop, jobs in by_loop.items():  # one wake-up per event loop, not one per caller
            try:
                loop.call_soon_threadsafe(_settle, jobs)
            except RuntimeError:  # that event loop is closed: nobody is waiting any more
                log.info("event loop closed before %d batches were answered", len(jobs))

    def _write(self, group: list[_Job]) -> None:
        """Set each job's result: its Stored list, or the exception that stopped it."""
        items = [item for job in group for item in job.items]
        try:
            stored = self._commit_group(items)
        except Exception as exc:  # handed to the callers, never swallowed
            if len(group) > 1:
                log.warning(
                    "group of %d batches failed (%s); retrying them one by one", len(group), exc
                )
                for job in group:
                    self._write([job])
                return
            if isinstance(exc, sa.exc.SQLAlchemyError):
                error = StoreError(f"the store could not write the batch: {exc}")
                error.__cause__ = exc
                group[0].result = error
            else:
                group[0].result = exc
            return
        start = 0
        for job in group:
            job.result = stored[start : start + len(job.items)]
            start += len(job.items)


def _settle(jobs: list[_Job]) -> None:
    """Resolve the callers' futures (runs in their event loop)."""
    for job in jobs:
        if job.future.done():  # the caller was cancelled; its reports are stored all the same
            continue
        if isinstance(job.result, BaseException):
            job.future.set_exception(job.result)
        else:
            job.future.set_result(job.result or [])
