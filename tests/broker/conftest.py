"""Fixtures of the broker tests: the real NATS JetStream server at 127.0.0.1:4222
(`DLRKIT_TEST_NATS` overrides it), with streams named uniquely per test (the server keeps
streams between runs) and deleted afterwards. A test needing NATS fails, never skips, when the
server does not answer."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from urllib.parse import urlencode

import nats
import nats.js.errors
import pytest
from nats.js import JetStreamManager

from dlrkit.broker.config import BrokerConfig
from dlrkit.broker.jetstream import JetStream

NATS_URL = os.environ.get("DLRKIT_TEST_NATS", "nats://127.0.0.1:4222")

StreamUrl = Callable[..., str]


async def delete_streams(names: list[str]) -> None:
    nc = await nats.connect(NATS_URL, max_reconnect_attempts=1)
    try:
        jsm = nc.jsm()
        for name in names:
            for stream in (name, f"{name}_DEAD"):
                try:
                    await jsm.delete_stream(stream)
                except nats.js.errors.NotFoundError:
                    continue
    finally:
        await nc.close()


@pytest.fixture
def stream_url() -> Iterator[StreamUrl]:
    """`stream_url(**params)`: a broker URL naming a fresh stream (ack_wait 2 s unless given);
    every stream made is deleted after the test."""
    names: list[str] = []

    def make(**params: object) -> str:
        names.append(f"T_{secrets.token_hex(6)}")
        query = {"stream": names[-1], "ack_wait": 2, **params}
        return f"{NATS_URL}?{urlencode(query)}"

    yield make
    if names:
        asyncio.run(delete_streams(names))


@pytest.fixture
async def broker(stream_url: StreamUrl) -> AsyncIterator[JetStream]:
    """A `JetStream` broker, opened, on a fresh stream."""
    opened = JetStream(BrokerConfig.from_url(stream_url()))
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def jsm() -> AsyncIterator[JetStreamManager]:
    """JetStream's management API on a connection of the test's own."""
    nc = await nats.connect(NATS_URL)
    yield nc.jsm()
    await nc.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of an empty schema of the real PostgreSQL (dropped afterwards)."""
    import sqlalchemy as sa

    from dlrkit.store.engine import engine_for
    from tests.store.conftest import PG_URL, in_schema

    schema = f"dlrkit_b_{secrets.token_hex(5)}"
    admin = engine_for(PG_URL, pool_size=1)
    with admin.begin() as connection:  # fails loudly when PostgreSQL is not there
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield in_schema(PG_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
