"""Shared fixtures: the shipped catalog, and async tests on asyncio."""

from __future__ import annotations

import pytest

from dlrkit import Catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.default()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (`pytest.mark.anyio`) run on asyncio only."""
    return "asyncio"
