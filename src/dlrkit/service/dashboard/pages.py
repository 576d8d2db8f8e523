"""Dashboard pages of insights: the overview (totals, delivery rate, latency, top reasons,
unknown codes) and the failures breakdown by reason, code, provider, channel, country or
operator. Both read the store's rollups only, so they stay fast as outcomes accumulate."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from starlette.responses import Response

from dlrkit.catalog import Catalog
from dlrkit.errors import InputError
from dlrkit.insights.charts import (
    delivery_spec,
    delivery_window,
    failures_spec,
    has_messages,
    latency_label,
    latency_spec,
)
from dlrkit.service.dashboard.filters import CHANNELS, PROVIDERS, choice, scope
from dlrkit.service.dashboard.render import chart, entry_href, page, query
from dlrkit.service.dashboard.session import Viewer
from dlrkit.service.responses import StorageUnavailable
from dlrkit.store.base import Failures, Store
from dlrkit.vocab import Reason, State

T = TypeVar("T")
DIMENSIONS = ("reason", "code", "provider", "channel", "country", "operator")
router = APIRouter(prefix="/dashboard", include_in_schema=False)


async def ask(answer: Awaitable[T], errors: list[str]) -> T | None:
    """A store answer, or None with the store's complaint added to `errors` (a failing store
    is a 503)."""
    try:
        return await answer
    except InputError as exc:
        errors.append(f"{exc.field}: {exc.problem}" if exc.field else exc.problem)
        return None
    except Exception as exc:
        raise StorageUnavailable from exc


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def catalog_of(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.ingest.catalog
    return catalog


def code_label(catalog: Catalog, ref: str | None) -> str:
    """ "infobip:error:general:27" as "infobip error 27 EC_ABSENT_SUBSCRIBER (general)"."""
    if not ref:
        return "(none)"
    parts = ref.split(":", 3)
    if len(parts) < 4:
        return ref
    provider, kind, channel, code = parts
    try:
        found = catalog.lookup(provider, code, kind, channel)
    except ValueError:  # the catalog's code parser trips on some non-ASCII digits
        found = ()
    name = f" {found[0].name}" if found and found[0].name else ""
    return f"{provider} {kind.replace('_', ' ')} {code}{name} ({channel})"


def filter_options() -> dict[str, Any]:
    return {"providers": PROVIDERS, "channels": CHANNELS, "reasons": [r.value for r in Reason]}


@router.get("")
async def overview(request: Request, viewer: Viewer) -> Response:
    sc = scope(request)
    flt = sc.insight_filter()
    store, errors = store_of(request), list(sc.errors)
    rate, reasons, latency, unknown = await asyncio.gather(
        ask(store.delivery_rate(flt, bucket=sc.period.bucket), errors),
        ask(store.failures_by("reason", flt, limit=8), errors),
        ask(store.latency(flt), errors),
        ask(store.unknown_codes(limit=10), errors),
    )
    # no chart of nothing: the template says "no messages yet" instead of an empty frame
    charts = {}
    delivery_note = None
    if rate is not None and has_messages(rate):
        charts["delivery"] = await chart(delivery_spec(rate), "delivery")
        delivery_note = delivery_window(rate).note
    if latency is not None and latency.total:
        charts["latency"] = await chart(latency_spec(latency), "latency")
    totals = None
    if rate is not None:
        s = rate.summary
        failed = s.undelivered + s.rejected + s.expired
        totals = {
            "total": s.total,
            "delivered": s.delivered,
            "failed": failed,
            "open": s.total - s.delivered - failed,
            "rate": s.rate,
        }
    return page(
        request,
        "overview.html",
        active="overview",
        sc=sc,
        errors=errors,
        totals=totals,
        rate=rate,
        top_reasons=reasons,
        latency=latency,
        latency_label=latency_label,
        unknown=unknown or [],
        charts=charts,
        delivery_note=delivery_note,
        **filter_options(),
    )


def _rows(failures: Failures, catalog: Catalog, params: dict[str, str]) -> list[dict[str, Any]]:
    """Table rows: label, counts, share, and where a click on the value leads."""
    rows = []
    for s in failures.items:
        href = None
        if failures.dimension == "code":
            href = entry_href(s.value) if s.known else None
        elif s.value is not None and failures.dimension != "operator":
            href = query("/dashboard/messages", {**params, failures.dimension: s.value})
        label = code_label(catalog, s.value) if failures.dimension == "code" else s.value
        rows.append(
            {
                "slice": s,
                "label": label or "(none)",
                "href": href,
                "share": s.failed / failures.failed if failures.failed else 0.0,
            }
        )
    return rows


@router.get("/failures")
async def failures(request: Request, viewer: Viewer) -> Response:
    sc = scope(request)
    errors = list(sc.errors)
    by = choice(request, "by", DIMENSIONS, errors) or "reason"
    found = await ask(store_of(request).failures_by(by, sc.insight_filter(), limit=25), errors)
    catalog = catalog_of(request)
    svg = None
    rows: list[dict[str, Any]] = []
    if found is not None:
        rows = _rows(found, catalog, sc.params)
        if found.items:
            labels = {r["slice"].value: r["label"] for r in rows}
            svg = await chart(failures_spec(found, labels), "failures")
    return page(
        request,
        "failures.html",
        active="failures",
        sc=sc,
        errors=errors,
        by=by,
        dimensions=DIMENSIONS,
        found=found,
        rows=rows,
        chart_svg=svg,
        failed_states=[State.UNDELIVERED.value, State.REJECTED.value, State.EXPIRED.value],
        **filter_options(),
    )
