"""Storage of reports, outcomes and API keys: the `Store` contract and the SQL store behind it.

    store = open_store(default_url(data_dir))   # SQLite file <data_dir>/dlrkit.db
    store = open_store("postgresql://dlrkit@db.internal/dlrkit")
    await store.open()

`open_store` only builds the store; `await store.open()` connects and runs the migrations.
"""

from __future__ import annotations

from pathlib import Path

from dlrkit.store.base import (
    ApiKey,
    HistoryItem,
    Incoming,
    Message,
    OutcomeFilter,
    Page,
    Store,
    Stored,
    StoreError,
)

__all__ = [
    "ApiKey",
    "HistoryItem",
    "Incoming",
    "Message",
    "OutcomeFilter",
    "Page",
    "Store",
    "StoreError",
    "Stored",
    "default_url",
    "open_store",
]

DB_FILE = "dlrkit.db"


def default_url(data_dir: str | Path) -> str:
    """The embedded default: the SQLite file `<data_dir>/dlrkit.db` (an absolute URL)."""
    return f"sqlite:///{Path(data_dir).expanduser().resolve() / DB_FILE}"


def open_store(url: str) -> Store:
    """The store for a database URL: `sqlite:///FILE` or `postgresql://...` (not yet opened)."""
    from dlrkit.store.sql import SqlStore

    return SqlStore(url)
