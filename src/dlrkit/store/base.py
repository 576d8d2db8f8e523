"""The storage contract: what the ingest service, the worker and the queries need, nothing more.

The store knows nothing of providers' wire formats: it receives `Outcome`s already classified
(one per report) with the raw report, and keeps

- every distinct report once, in a per-message history (`report_key` makes a repeated delivery
  of the same report a no-op: exactly once in effect);
- the current outcome of each message, the `fold.merge` of all its reports, so that arrival order
  never matters and a final outcome never moves back to pending;
- API keys, stored hashed.

Implementations: `dlrkit.store.sql.SqlStore` for SQLite (default, a file, WAL, one batched writer)
and PostgreSQL, on one SQLAlchemy Core schema managed by alembic migrations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

from dlrkit.errors import DlrkitError
from dlrkit.outcome import Outcome


class Incoming(msgspec.Struct, frozen=True, kw_only=True):
    """One classified report on its way into the store."""

    report_key: str  # sha256 hex of (provider, canonical raw report): equal reports, equal keys
    outcome: Outcome  # classify() of this one report (message_id is the parent id for parts)


class Stored(msgspec.Struct, frozen=True, kw_only=True):
    """What happened to one Incoming."""

    report_key: str
    duplicate: bool  # the same report was already stored: nothing changed
    outcome: Outcome  # the message's current outcome after this report


class HistoryItem(msgspec.Struct, frozen=True, kw_only=True):
    report_key: str
    received_at: str
    state: str
    reason: str
    outcome: Outcome  # this report's own outcome (raw report included)


class Message(msgspec.Struct, frozen=True, kw_only=True):
    outcome: Outcome
    history: tuple[HistoryItem, ...]


class OutcomeFilter(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Filters of GET /outcomes; every field optional, all given ones must hold."""

    since: str | None = None  # received_at >= since (ISO 8601)
    until: str | None = None  # received_at < until
    provider: str | None = None
    channel: str | None = None
    state: str | None = None
    reason: str | None = None
    country: str | None = None
    recipient: str | None = None


class Page(msgspec.Struct, frozen=True, kw_only=True):
    items: tuple[Outcome, ...]
    next_cursor: str | None  # opaque; pass back to get the next page, None at the end


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    prefix: str  # the first characters of the key, to recognise it in lists
    created_at: str
    revoked_at: str | None = None


class Store(Protocol):
    """Async storage used by the service and the worker. Every method is safe to call
    concurrently; `ingest` returns only once its reports are durable (committed)."""

    async def open(self) -> None:
        """Connect and bring the schema up to date (runs migrations)."""

    async def close(self) -> None: ...

    async def ingest(self, batch: Sequence[Incoming]) -> list[Stored]:
        """Store reports; idempotent per report_key; returns when durable."""

    async def message(self, message_id: str, provider: str | None = None) -> Message | None: ...

    async def outcomes(self, flt: OutcomeFilter, *, limit: int = 100, cursor: str | None = None) -> Page: ...

    async def create_key(self, name: str) -> tuple[ApiKey, str]:
        """A new API key: its record, and the secret shown once (only its hash is stored)."""

    async def list_keys(self) -> list[ApiKey]: ...

    async def revoke_key(self, key_id: str) -> bool: ...

    async def check_key(self, secret: str) -> ApiKey | None:
        """The active key this secret belongs to, or None."""


class StoreError(DlrkitError):
    """The store cannot do what was asked (closed, or the database failed); nothing was half-done."""
