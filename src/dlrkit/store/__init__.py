"""Storage of reports, outcomes, API keys, the suppression list and the insight rollups:
the `Store` contract and the SQL store behind it.

    store = open_store(default_url(data_dir))   # SQLite file <data_dir>/dlrkit.db
    store = open_store("postgresql://dlrkit@db.internal/dlrkit")
    await store.open()

`open_store` only builds the store; `await store.open()` connects and runs the migrations.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dlrkit.store.base import (
    ApiKey,
    DeliveryRate,
    Failures,
    FailureSlice,
    HistoryItem,
    Incoming,
    InsightFilter,
    Latency,
    LatencyBin,
    Message,
    OutcomeFilter,
    Page,
    RatePoint,
    Store,
    Stored,
    StoreError,
    SuppressionEntry,
    SuppressionFilter,
    SuppressionPage,
    UnknownCode,
)

if TYPE_CHECKING:
    from dlrkit.policy import PolicyConfig

__all__ = [
    "ApiKey",
    "DeliveryRate",
    "FailureSlice",
    "Failures",
    "HistoryItem",
    "Incoming",
    "InsightFilter",
    "Latency",
    "LatencyBin",
    "Message",
    "OutcomeFilter",
    "Page",
    "RatePoint",
    "Store",
    "StoreError",
    "Stored",
    "SuppressionEntry",
    "SuppressionFilter",
    "SuppressionPage",
    "UnknownCode",
    "default_url",
    "open_store",
]

DB_FILE = "dlrkit.db"


def default_url(data_dir: str | Path) -> str:
    """The embedded default: the SQLite file `<data_dir>/dlrkit.db` (an absolute URL)."""
    return f"sqlite:///{Path(data_dir).expanduser().resolve() / DB_FILE}"


def open_store(
    url: str, *, policy: PolicyConfig | None = None, writer: Literal["thread", "process"] = "thread"
) -> Store:
    """The store for a database URL: `sqlite:///FILE` or `postgresql://...` (not yet opened);
    `policy` decides automatic suppressions (default: `PolicyConfig()`); with SQLite,
    `writer="process"` commits in a process of its own (`dlrkit.store.process`), which is what
    `dlrkit serve` does."""
    from dlrkit.store.sql import SqlStore

    return SqlStore(url, policy=policy, writer=writer)
