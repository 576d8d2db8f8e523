"""Crashes lose nothing that was acknowledged, and duplicate nothing.

- `dlrkit serve` (SQLite) killed with SIGKILL while several senders post: once restarted, it
  has every report that got a 2xx;
- `dlrkit worker` killed with SIGKILL partway through a stream that `serve --broker` nodes
  filled: a second worker finishes, and the store (PostgreSQL) then holds exactly the state that
  storing each report once gives, each report once in its message's history.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import sqlalchemy as sa

from dlrkit.broker.config import BrokerConfig
from dlrkit.broker.jetstream import JetStream
from dlrkit.catalog import Catalog
from dlrkit.normalizer import parse_reports
from dlrkit.service.ingest import incoming_from_payload, report_key
from dlrkit.store import default_url, open_store
from dlrkit.store.engine import engine_for
from tests.broker.conftest import StreamUrl
from tests.broker.items import stored_count
from tests.reliability.processes import Sent, send, serve, start, stripes
from tests.reliability.state import snapshot
from tests.reliability.traffic import Hook, hooks
from tests.service.conftest import dlrkit


def _keys(hook: Hook) -> set[str]:
    return {
        report_key(r.provider, r.raw)
        for r in parse_reports(hook.body, hook.provider, hook.content_type)
    }


def _stored_keys(url: str) -> set[str]:
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return set(connection.execute(sa.text("SELECT report_key FROM reports")).scalars())
    finally:
        engine.dispose()


async def _left(broker: str) -> int:
    """Reports in the broker's stream not yet acknowledged by a worker."""
    js = JetStream(BrokerConfig.from_url(broker), consumer=False)
    await js.open()
    try:
        return await js.backlog()
    finally:
        await js.close()


def test_serve_killed_under_load_keeps_every_acknowledged_report(tmp_path: Path) -> None:
    data = tmp_path / "data"
    traffic = hooks(30_000)  # more than the senders get through before the kill
    url, server = serve(data)
    sent = Sent()
    load = threading.Thread(target=send, args=(url, stripes(traffic, 16), sent))
    load.start()
    deadline = time.monotonic() + 30
    while len(sent.acknowledged) < 1500 and time.monotonic() < deadline and load.is_alive():
        time.sleep(0.02)
    server.send_signal(signal.SIGKILL)  # no goodbye: whatever was not committed is lost
    server.wait(timeout=10)
    load.join(timeout=60)
    assert 1500 <= len(sent.acknowledged) < len(traffic)
    assert sent.failed > 0  # requests were in flight when it died
    acknowledged = set().union(*(_keys(h) for h in sent.acknowledged))

    url, server = serve(data, port=int(url.rsplit(":", 1)[1]))
    try:
        stored = _stored_keys(default_url(data))
        assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged reports lost"
        # a few of them through the restarted service itself
        made = dlrkit("keys", "create", "reliability", "--json", "--data-dir", str(data))
        key = json.loads(made.stdout)["secret"]
        for hook in sent.acknowledged[:: max(1, len(sent.acknowledged) // 20)]:
            answer = httpx.get(
                f"{url}/messages/{hook.message_id}",
                params={"provider": hook.provider},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert answer.status_code == 200, hook
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_worker_killed_midstream_loses_and_duplicates_nothing(
    tmp_path: Path, pg_schema: Callable[[], str], stream_url: StreamUrl
) -> None:
    broker = stream_url(ack_wait=2)
    db, reference = pg_schema(), pg_schema()
    traffic = hooks(4000)
    url, node = serve(tmp_path / "node", "--broker", broker)
    try:
        sent = send(url, stripes(traffic, 16))
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(timeout=30)
    assert (len(sent.acknowledged), sent.refused, sent.failed) == (len(traffic), 0, 0)

    log = tmp_path / "workers.log"
    args = ("worker", "--broker", broker, "--db", db, "--batch", "20")
    first = start(*args, log=log)
    deadline = time.monotonic() + 60
    while stored_count(db) == 0 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    at_kill = stored_count(db)
    assert 0 < at_kill < len(traffic), log.read_text()

    second = start(*args, log=log)
    deadline = time.monotonic() + 90
    while asyncio.run(_left(broker)) and time.monotonic() < deadline and second.poll() is None:
        time.sleep(0.2)  # until every report is acknowledged (after ack_wait, the first's too)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=30) == 0, log.read_text()

    expected_keys = set().union(*(_keys(h) for h in traffic))
    assert len(expected_keys) == len(traffic)
    assert _stored_keys(db) == expected_keys  # nothing lost (a key is stored at most once)

    async def store_once() -> None:  # the reference: each report stored once, in order
        store = open_store(reference)
        await store.open()
        catalog = Catalog.default()
        try:
            items = [
                item
                for hook in traffic
                for item in incoming_from_payload(
                    hook.body, hook.provider, hook.content_type, catalog
                )
            ]
            for first_item in range(0, len(items), 200):
                await store.ingest(items[first_item : first_item + 200])
        finally:
            await store.close()

    asyncio.run(store_once())
    got, want = snapshot(db), snapshot(reference)
    for table in want:
        assert got[table] == want[table], table
    per_message = Counter(h.message_id for h in traffic)
    assert {m: o["reports"] for (_, m), o in got["outcomes"].items()} == dict(per_message)
