"""The ingest pipeline behind the webhook routes: payload -> reports -> classified Incoming items
-> a `Sink` that makes them durable.

`Sink` is the seam between accepting a report and keeping it. `StoreSink` (the default) writes
straight to the store; a broker-backed sink (NATS JetStream, `--broker`) publishes instead and
resolves once the broker has acknowledged. Either way the webhook answers 2xx only after
`persist` returns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Protocol

import msgspec

from dlrkit.catalog import Catalog
from dlrkit.classify import Classifier
from dlrkit.normalizer import parse_reports
from dlrkit.outcome import Report
from dlrkit.rules import Rules
from dlrkit.store.base import Incoming, OutcomeFilter, Store

_canonical = msgspec.json.Encoder(order="sorted")


class Sink(Protocol):
    """Where accepted reports go. `persist` returns only once every item is durable."""

    async def open(self) -> None:
        """Connect (called when the app starts, after the store has opened)."""

    async def close(self) -> None:
        """Disconnect (called when the app stops, before the store closes)."""

    async def persist(self, items: Sequence[Incoming]) -> list[bool]:
        """Make items durable; for each, whether it was a duplicate of one already kept.
        Raises InputError for an item no store can hold, anything else when unavailable."""

    async def check(self) -> None:
        """Raise if the sink cannot currently accept reports (used by /healthz)."""


class StoreSink:
    """The default sink: the store itself (its `ingest` commits before returning). The app
    opens and closes the store, so this sink has nothing of its own to open or close."""

    def __init__(self, store: Store):
        self.store = store

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def persist(self, items: Sequence[Incoming]) -> list[bool]:
        if not items:
            return []
        return await self.store.accept(items)

    async def check(self) -> None:
        await self.store.outcomes(OutcomeFilter(), limit=1)


def report_key(provider: str, raw: dict[str, object]) -> str:
    """sha256 hex of the provider and the report's raw fields as canonical (sorted-key) JSON:
    the same report delivered twice has the same key, whatever its keys' order on the wire."""
    return hashlib.sha256(provider.encode() + b"\n" + _canonical.encode(raw)).hexdigest()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_incoming(
    reports: Sequence[Report],
    catalog: Catalog,
    rules: Rules | None = None,
    received_at: str | None = None,
    *,
    classifier: Classifier | None = None,
) -> list[Incoming]:
    """Classify each report and key it for the store. Pass the app's `Classifier` to reuse
    its decisions (a report's codes are decided once, not on every webhook)."""
    clf = classifier or Classifier(catalog, rules)
    when = received_at or now_iso()
    return [
        Incoming(
            report_key=report_key(r.provider, r.raw), outcome=clf.classify(r, received_at=when)
        )
        for r in reports
    ]


def incoming_from_payload(
    body: bytes,
    provider: str,
    content_type: str | None,
    catalog: Catalog,
    rules: Rules | None = None,
    *,
    classifier: Classifier | None = None,
) -> list[Incoming]:
    """A provider's native payload as store-ready items. Raises InputError when malformed."""
    reports = parse_reports(body, provider, content_type)
    return to_incoming(reports, catalog, rules, classifier=classifier)
