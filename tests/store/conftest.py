"""The store suite's fixtures: every test runs against a SQLite file AND the real PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (`DLRKIT_TEST_PG` overrides the URL). Each test
gets a schema of its own, named after this session (`dlrkit_t_<hex>_<n>`), dropped afterwards;
a test needing PostgreSQL fails, never skips, when the server does not answer.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from dlrkit.store.engine import engine_for
from dlrkit.store.sql import SqlStore

PG_URL = os.environ.get("DLRKIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SESSION = f"dlrkit_t_{secrets.token_hex(4)}"
_numbers = itertools.count()


def in_schema(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema` (libpq's `options`)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    engine = engine_for(PG_URL, pool_size=2)
    with engine.connect() as connection:  # fails loudly when PostgreSQL is not there
        connection.execute(sa.text("SELECT 1"))
    yield engine
    with engine.begin() as connection:
        leftovers = connection.execute(
            sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"), {"p": f"{SESSION}%"}
        ).scalars()
        for schema in list(leftovers):
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes URLs of empty databases, on each backend in turn; drops them afterwards."""
    schemas: list[str] = []
    admin: sa.Engine | None = (
        request.getfixturevalue("pg_admin") if request.param == "postgresql" else None
    )

    def make() -> str:
        n = next(_numbers)
        if admin is None:
            return f"sqlite:///{tmp_path / f'store{n}' / 'dlrkit.db'}"
        schemas.append(f"{SESSION}_{n}")
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schemas[-1]}"'))
        return in_schema(PG_URL, schemas[-1])

    yield make
    if admin is not None:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def url(fresh_url: Callable[[], str]) -> str:
    """The URL of an empty database."""
    return fresh_url()


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    """An open store on an empty database."""
    opened = SqlStore(url)
    asyncio.run(opened.open())
    yield opened
    asyncio.run(opened.close())
