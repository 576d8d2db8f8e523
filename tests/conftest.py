"""Shared fixtures: the shipped catalog, and async tests on asyncio."""

from __future__ import annotations

import pytest

from dlrkit import Catalog


def pytest_configure(config: pytest.Config) -> None:
    """The catalog tests compare the catalog with the five published code references, read
    from ../shared/seeds beside the repository (as CI has them) or from $DLRKIT_SEEDS: without
    them, say so at once rather than fail in collection."""
    from tests.seeds import FILES, SEEDS

    missing = [name for name in FILES.values() if not (SEEDS / name).is_file()]
    if missing:
        raise pytest.UsageError(
            f"the catalog tests read the published code references from {SEEDS}, which lacks "
            f"{', '.join(missing)}: put the shared/seeds folder beside the repository, or set "
            "DLRKIT_SEEDS to its path"
        )


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.default()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (`pytest.mark.anyio`) run on asyncio only."""
    return "asyncio"
