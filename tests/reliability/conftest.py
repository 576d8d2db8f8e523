"""Fixtures of the reliability tests, which run against the real PostgreSQL (127.0.0.1:5432)
and the real NATS JetStream (127.0.0.1:4222): fresh PostgreSQL schemas, uniquely named
streams, all removed afterwards. A missing server fails these tests; none is skipped."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from dlrkit.store.engine import engine_for
from tests.broker.conftest import stream_url
from tests.store.conftest import PG_URL, in_schema

__all__ = ["pg_schema", "stream_url"]


@pytest.fixture
def pg_schema() -> Iterator[Callable[[], str]]:
    """`pg_schema()`: the URL of a new empty schema of the real PostgreSQL."""
    admin = engine_for(PG_URL, pool_size=1)
    made: list[str] = []

    def make() -> str:
        made.append(f"dlrkit_r_{secrets.token_hex(5)}")
        with admin.begin() as connection:  # fails loudly when PostgreSQL is not there
            connection.execute(sa.text(f'CREATE SCHEMA "{made[-1]}"'))
        return in_schema(PG_URL, made[-1])

    yield make
    with admin.begin() as connection:
        for schema in made:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
