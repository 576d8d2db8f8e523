"""Shared fixtures: the shipped catalog, and the seeds read independently."""

from __future__ import annotations

import pytest

from dlrkit import Catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.default()
