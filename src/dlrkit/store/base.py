"""The storage contract: what the ingest service, the worker and the queries need, nothing more.

The store knows nothing of providers' wire formats: it receives `Outcome`s already classified
(one per report) with the raw report, and keeps

- every distinct report once, in a per-message history (`report_key` makes a repeated delivery
  of the same report a no-op: exactly once in effect);
- the current outcome of each message, the `fold.merge` of all its reports, so that arrival order
  never matters and a final outcome never moves back to pending;
- API keys, stored hashed;
- the suppression list: recipients not to be written to, suppressed automatically at ingest
  when `dlrkit.policy.suppression` says so (with the report that caused it), or by hand;
- insights: delivery rate over time, failures by dimension, time to a final state and unknown
  codes, answered from rollups maintained at ingest (never by scanning outcomes), so they do
  not slow down as outcomes accumulate. Their time axis is `received_at` (when a message was
  first seen), in whole UTC hours: a range is widened to the hours it touches.

Implementations: `dlrkit.store.sql.SqlStore` for SQLite (default, a file, WAL, one batched writer)
and PostgreSQL, on one SQLAlchemy Core schema managed by alembic migrations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
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


class SuppressionEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A recipient not to be written to, why, since when, until when, and who decided."""

    recipient: str  # E.164 when the address is a phone number, else as reported
    reason: str  # a Reason value
    permanent: bool
    created_at: str
    expires_at: str | None  # None when permanent
    source: str  # "auto" (a report caused it) or "manual"
    active: bool  # in force now: permanent, or not yet expired
    provider: str | None = None  # the report that caused it (None when manual)
    message_id: str | None = None
    report_key: str | None = None
    note: str | None = None


class SuppressionFilter(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    reason: str | None = None
    source: str | None = None  # "auto" or "manual"
    active_only: bool = False


class SuppressionPage(msgspec.Struct, frozen=True, kw_only=True):
    items: tuple[SuppressionEntry, ...]  # newest first
    next_cursor: str | None


class InsightFilter(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The period (received_at in [since, until), ISO 8601) and the traffic an insight covers."""

    since: str
    until: str
    provider: str | None = None
    channel: str | None = None
    country: str | None = None


class RatePoint(msgspec.Struct, frozen=True, kw_only=True):
    """Messages first seen in one bucket, by current state; `rate` is delivered / final."""

    bucket: str
    total: int
    accepted: int
    pending: int
    delivered: int
    undelivered: int
    rejected: int
    expired: int
    unknown: int
    rate: float | None  # None when no message of the bucket is final yet


class DeliveryRate(msgspec.Struct, frozen=True, kw_only=True):
    since: str  # the period answered: the one asked, widened to whole hours
    until: str
    bucket: str  # "hour" or "day"
    summary: RatePoint  # the whole period (its bucket is `since`)
    points: tuple[RatePoint, ...]  # every bucket of the period, empty ones included


class FailureSlice(msgspec.Struct, frozen=True, kw_only=True):
    value: str | None  # None: the outcomes had no value for the dimension (no country...)
    failed: int  # final and not delivered: undelivered + rejected + expired
    undelivered: int
    rejected: int
    expired: int
    known: bool | None = None  # for codes: whether the catalog knows the code


class Failures(msgspec.Struct, frozen=True, kw_only=True):
    dimension: str  # reason, code, provider, channel, country or operator
    since: str
    until: str
    failed: int  # every failed message of the period (for codes: every failed message's codes)
    items: tuple[FailureSlice, ...]  # most failures first


class LatencyBin(msgspec.Struct, frozen=True, kw_only=True):
    low: int  # seconds from sent_at to done_at, low <= t < high
    high: int | None  # None: no upper bound
    count: int


class Latency(msgspec.Struct, frozen=True, kw_only=True):
    since: str
    until: str
    total: int  # final outcomes that give both sent_at and done_at
    bins: tuple[LatencyBin, ...]


class UnknownCode(msgspec.Struct, frozen=True, kw_only=True):
    code: str  # "namespace:kind:channel:code", as `Outcome.unknown_codes` names it
    count: int  # reports that carried it
    first_seen: str
    last_seen: str
    report_key: str  # the earliest such report, to look at


class Store(Protocol):
    """Async storage used by the service and the worker. Every method is safe to call
    concurrently; `ingest` returns only once its reports are durable (committed)."""

    async def open(self) -> None:
        """Connect and bring the schema up to date (runs migrations)."""

    async def close(self) -> None: ...

    async def ingest(self, batch: Sequence[Incoming]) -> list[Stored]:
        """Store reports; idempotent per report_key; returns when durable."""

    async def accept(self, batch: Sequence[Incoming]) -> list[bool]:
        """`ingest`, answering only whether each report was a duplicate (what a webhook
        answers): cheaper where the merged outcomes would have to be sent back."""

    async def message(self, message_id: str, provider: str | None = None) -> Message | None: ...

    async def outcomes(
        self, flt: OutcomeFilter, *, limit: int = 100, cursor: str | None = None
    ) -> Page: ...

    async def create_key(self, name: str) -> tuple[ApiKey, str]:
        """A new API key: its record, and the secret shown once (only its hash is stored)."""

    async def list_keys(self) -> list[ApiKey]: ...

    async def revoke_key(self, key_id: str) -> bool: ...

    async def check_key(self, secret: str) -> ApiKey | None:
        """The active key this secret belongs to, or None."""

    async def list_suppressions(
        self, flt: SuppressionFilter, *, limit: int = 100, cursor: str | None = None
    ) -> SuppressionPage: ...

    async def add_suppression(
        self, recipient: str, reason: str, *, expires_at: str | None = None, note: str | None = None
    ) -> SuppressionEntry:
        """Suppress a recipient by hand (replacing any suppression it had); permanent unless
        `expires_at` is given."""

    async def remove_suppression(self, recipient: str) -> bool:
        """Lift a recipient's suppression; False when it had none."""

    async def check_suppression(self, recipient: str) -> SuppressionEntry | None:
        """The suppression in force for this recipient (normalized first), or None."""

    def export_suppressions(self) -> AsyncIterator[SuppressionEntry]:
        """Every suppression, expired ones included, by recipient."""

    async def delivery_rate(self, flt: InsightFilter, *, bucket: str = "hour") -> DeliveryRate: ...

    async def failures_by(
        self, dimension: str, flt: InsightFilter, *, limit: int = 20
    ) -> Failures: ...

    async def latency(self, flt: InsightFilter) -> Latency: ...

    async def unknown_codes(self, *, limit: int = 50) -> list[UnknownCode]:
        """The codes the catalog does not know, most reported first."""


class StoreError(DlrkitError):
    """The store cannot do what was asked (closed, or the database failed); nothing was half-done."""
