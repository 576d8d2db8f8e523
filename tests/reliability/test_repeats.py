"""Exactly once in effect: 10,000 reports delivered three times each, in shuffled order, by
concurrent senders through the real HTTP service on PostgreSQL, leave the very same stored state
as the same reports delivered once, each message's in order."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest

from dlrkit.service.settings import Settings
from tests.reliability.state import snapshot
from tests.reliability.traffic import SECRETS, Hook, hooks

pytestmark = pytest.mark.anyio
REPORTS = 10_000
SENDERS = 32
BASE = "https://dlr.example.com"


async def deliver(url: str, data_dir: Path, lanes: Sequence[Sequence[Hook]]) -> list[int]:
    """Post every hook through the app (ASGI, in process) on the store at `url`; each lane is
    one sender posting its hooks one after another. Returns the statuses, in no order."""
    from dlrkit.service.app import create_app

    app = create_app(
        Settings.from_env({"DLRKIT_DATA_DIR": str(data_dir), "DLRKIT_DB_URL": url, **SECRETS})
    )
    statuses: list[int] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:

            async def sender(lane: Sequence[Hook]) -> None:
                for hook in lane:
                    answer = await client.post(
                        hook.path, content=hook.body, headers=hook.headers(BASE)
                    )
                    statuses.append(answer.status_code)

            await asyncio.gather(*(sender(lane) for lane in lanes))
    return statuses


async def test_three_shuffled_deliveries_store_what_one_ordered_delivery_does(
    pg_schema: Callable[[], str], tmp_path: Path
) -> None:
    traffic = hooks(REPORTS)
    by_message: dict[str, list[Hook]] = {}
    for hook in traffic:
        by_message.setdefault(hook.message_id, []).append(hook)
    ordered: list[list[Hook]] = [[] for _ in range(SENDERS)]
    for n, message in enumerate(by_message.values()):  # a message's reports in order, one lane
        ordered[n % SENDERS].extend(message)
    repeated = traffic * 3
    random.Random(11).shuffle(repeated)
    shuffled = [repeated[n::SENDERS] for n in range(SENDERS)]

    once_url, thrice_url = pg_schema(), pg_schema()
    once = await deliver(once_url, tmp_path / "once", ordered)
    thrice = await deliver(thrice_url, tmp_path / "thrice", shuffled)
    assert (len(once), set(once)) == (REPORTS, {200})
    assert (len(thrice), set(thrice)) == (3 * REPORTS, {200})

    expected, got = snapshot(once_url), snapshot(thrice_url)
    assert len(expected["reports"]) == REPORTS
    assert len(expected["outcomes"]) == len(by_message)
    for table in expected:  # table by table, so that a difference names its table
        assert got[table] == expected[table], table
    histories = {m: len(h) for m, h in by_message.items()}
    assert {m: o["reports"] for (_, m), o in got["outcomes"].items()} == histories
