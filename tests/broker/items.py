"""Store-ready reports for the broker tests: the sandbox's realistic reports, classified as the
ingest service classifies them."""

from __future__ import annotations

from dlrkit.catalog import Catalog
from dlrkit.sandbox.scenario import Scenario
from dlrkit.sandbox.traffic import report
from dlrkit.service.ingest import incoming_from_payload
from dlrkit.store.base import Incoming


def incoming(count: int, provider: str = "infobip", first: int = 0) -> list[Incoming]:
    """`count` distinct reports (one message each), numbered from `first`."""
    catalog, scenario = Catalog.default(), Scenario()
    out: list[Incoming] = []
    for i in range(first, first + count):
        body, ctype = report(provider, "sms", i, scenario, catalog)
        out.extend(incoming_from_payload(body, provider, ctype, catalog))
    return out
