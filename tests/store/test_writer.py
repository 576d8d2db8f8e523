"""Group commit: concurrent batches share transactions, a failing batch fails alone, stop drains."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from dlrkit.store import default_url
from dlrkit.store.base import Incoming, Stored, StoreError
from dlrkit.store.engine import engine_for
from dlrkit.store.writer import GroupCommitter, committing

from .traffic import traffic


class Recorder:
    """A transaction body that records each group it is given, and refuses poisoned ones."""

    def __init__(self, poison: str | None = None, delay: threading.Event | None = None):
        self.groups: list[list[str]] = []
        self.poison = poison
        self.delay = delay

    def __call__(self, connection: sa.Connection, items: Sequence[Incoming]) -> list[Stored]:
        if self.delay is not None:
            self.delay.wait(5)
        connection.exec_driver_sql("SELECT 1")
        keys = [i.report_key for i in items]
        if self.poison in keys:
            raise ValueError(f"refusing {self.poison}")
        self.groups.append(keys)
        return [Stored(report_key=i.report_key, duplicate=False, outcome=i.outcome) for i in items]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = engine_for(default_url(tmp_path), pool_size=2)
    yield engine
    engine.dispose()


def test_waiting_batches_are_committed_together(engine: sa.Engine) -> None:
    items = traffic(messages=40, reports=120, seed=31).reports
    gate = threading.Event()
    work = Recorder(delay=gate)
    writer = GroupCommitter(committing(engine, work))
    writer.start()

    async def scenario() -> list[list[Stored]]:
        first = writer.submit(items[:1])  # holds the writer until the gate opens
        await asyncio.sleep(0.05)
        rest = [writer.submit(items[i : i + 7]) for i in range(1, len(items), 7)]
        gate.set()
        return await asyncio.gather(first, *rest)

    results = asyncio.run(scenario())
    writer.stop()
    assert [s.report_key for r in results for s in r] == [i.report_key for i in items]
    assert [len(g) for g in work.groups] == [1, 119]  # one commit for all that waited


def test_a_failing_batch_fails_alone(engine: sa.Engine) -> None:
    items = traffic(messages=10, reports=30, seed=32).reports
    gate = threading.Event()
    work = Recorder(poison=items[12].report_key, delay=gate)
    writer = GroupCommitter(committing(engine, work))
    writer.start()

    async def scenario() -> list[list[Stored] | BaseException]:
        futures = [writer.submit(items[i : i + 5]) for i in range(0, 30, 5)]
        gate.set()
        return await asyncio.gather(*futures, return_exceptions=True)

    results = asyncio.run(scenario())
    writer.stop()
    assert isinstance(results[2], ValueError)
    for n, result in enumerate(results):
        if n != 2:
            assert isinstance(result, list)
            assert [s.report_key for s in result] == [
                i.report_key for i in items[n * 5 : n * 5 + 5]
            ]


def test_stop_finishes_what_is_queued_then_refuses_more(engine: sa.Engine) -> None:
    items = traffic(messages=10, reports=30, seed=33).reports
    work = Recorder()
    writer = GroupCommitter(committing(engine, work), threads=2)
    writer.start()

    async def scenario() -> list[list[Stored]]:
        futures = [writer.submit(items[i : i + 3]) for i in range(0, 30, 3)]
        await asyncio.get_running_loop().run_in_executor(None, writer.stop)
        return await asyncio.gather(*futures)

    results = asyncio.run(scenario())
    assert sum(len(r) for r in results) == 30
    assert sorted(k for g in work.groups for k in g) == sorted(i.report_key for i in items)

    async def late() -> None:
        writer.submit(items[:1])

    with pytest.raises(StoreError, match="closed"):
        asyncio.run(late())
