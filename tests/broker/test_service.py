"""`dlrkit serve --broker`: a stateless ingest node. Webhooks are answered once JetStream holds
the reports, the node's store is never written, /healthz asks the broker; a worker then stores."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.js import JetStreamManager

from dlrkit.service.settings import Settings
from dlrkit.store import open_store
from dlrkit.store.base import OutcomeFilter
from tests.broker.conftest import StreamUrl
from tests.service import signing
from tests.service.conftest import fixture_bytes

pytestmark = pytest.mark.anyio
TOKEN = "broker-plivo-token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BASE = "https://dlr.example.com"


def _signed(body: bytes, nonce: str) -> dict[str, str]:
    url = BASE + "/webhooks/plivo"
    return {
        **FORM,
        "X-Plivo-Signature-V3": signing.plivo_v3(TOKEN, url, nonce, body),
        "X-Plivo-Signature-V3-Nonce": nonce,
    }


@pytest.fixture
async def node(
    tmp_path: Path, stream_url: StreamUrl
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    from dlrkit.service.app import create_app

    settings = Settings.from_env(
        {
            "DLRKIT_DATA_DIR": str(tmp_path / "node"),
            "DLRKIT_BROKER_URL": stream_url(),
            "DLRKIT_PLIVO_AUTH_TOKEN": TOKEN,
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield app, client


async def test_acknowledged_by_the_broker_stored_by_a_worker(
    node: tuple[Any, httpx.AsyncClient], tmp_path: Path
) -> None:
    from dlrkit.broker.worker import Worker

    app, client = node
    body = fixture_bytes("plivo/message_delivered.form")
    r = await client.post("/webhooks/plivo", content=body, headers=_signed(body, "1"))
    assert (r.status_code, r.json()) == (200, {"accepted": 1, "duplicates": 0})
    r = await client.post("/webhooks/plivo", content=body, headers=_signed(body, "2"))
    assert (r.status_code, r.json()) == (
        200,
        {"accepted": 0, "duplicates": 1},
    )  # the broker's dedup
    assert (await app.state.store.outcomes(OutcomeFilter())).items == ()  # stateless: not here
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (
        'dlrkit_webhook_reports_total{provider="plivo",result="accepted"} 1.0'
        in (await client.get("/metrics")).text
    )

    broker = app.state.ingest.sink.broker
    store = open_store(f"sqlite:///{tmp_path / 'worker.db'}")
    await store.open()
    try:
        stats = await Worker(broker, store).run(asyncio.Event(), until_idle=True)
        assert (stats.stored, stats.duplicates) == (1, 0)
        found = await store.message("9b1c0d2e-3f4a-11f0-8a5b-0242ac110002", "plivo")
        assert found is not None
        assert found.outcome.state.value == "delivered"
        assert len(found.history) == 1
    finally:
        await store.close()


async def test_broker_trouble_is_a_503_and_nothing_is_acknowledged(
    node: tuple[Any, httpx.AsyncClient], jsm: JetStreamManager
) -> None:
    app, client = node
    broker = app.state.ingest.sink.broker
    await jsm.delete_stream(broker.config.stream)  # the stream vanished
    r = await client.get("/healthz")
    assert (r.status_code, r.json()["error"]) == (503, "storage unavailable")
    body = fixture_bytes("plivo/message_delivered.form")
    r = await client.post("/webhooks/plivo", content=body, headers=_signed(body, "3"))
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert json.loads(r.text) == {"error": "storage unavailable", "field": None}
    metrics = (await client.get("/metrics")).text
    assert 'dlrkit_webhook_rejections_total{provider="plivo",reason="storage"} 1.0' in metrics


async def test_bad_input_is_still_refused_before_the_broker(
    node: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = node
    body = b"MessageUUID=&Status=delivered"
    r = await client.post("/webhooks/plivo", content=body, headers=_signed(body, "4"))
    assert r.status_code == 422
    broker = app.state.ingest.sink.broker
    assert await broker.backlog() == 0
