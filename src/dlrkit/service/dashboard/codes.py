"""Dashboard code browser: the catalog by provider or by search, and one explain page per code
(provider, kind, channel, code) with everything `dlrkit explain` says: meaning, advice, the
standard under it, equivalents at other providers, migrations, and conflicts between sources.
Related codes link to their own pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from dlrkit.catalog import Catalog, Entry
from dlrkit.catalog.registry import NAMESPACES
from dlrkit.explainer import explain_entry, record
from dlrkit.service.dashboard.filters import choice, text
from dlrkit.service.dashboard.pages import catalog_of
from dlrkit.service.dashboard.render import code_href, page
from dlrkit.service.dashboard.session import Viewer

KINDS = ("status", "error", "hangup_cause", "api_error", "dlr_status")
RELATIONS = (
    ("standards", "Standard underneath"),
    ("equivalents", "Equivalents at other providers"),
    ("replaced_by", "Replaced by"),
    ("replaces", "Replaces"),
    ("status_reason", "Status and reason partners"),
    ("above", "Provider codes built on it"),
)
SEARCH_LIMIT = 100
router = APIRouter(prefix="/dashboard", include_in_schema=False)


def href(e: Entry) -> str:
    return code_href(e.provider, e.kind.value, e.channel, e.code)


def _sort_key(e: Entry) -> tuple[str, str, int, str]:
    numeric = e.code if isinstance(e.code, int) else -1
    return (e.kind.value, e.channel, numeric, str(e.code))


@router.get("/codes")
async def browse(request: Request, viewer: Viewer) -> Response:
    catalog = catalog_of(request)
    errors: list[str] = []
    q = text(request, "q", 200)
    provider = choice(request, "provider", tuple(NAMESPACES), errors)
    kind = choice(request, "kind", KINDS, errors)
    entries: list[Entry] | None = None
    if q:
        entries = list(catalog.search(q, provider, kind, None, SEARCH_LIMIT))
    elif provider:
        entries = sorted(catalog.select(provider, kind), key=_sort_key)
    counts: dict[str, int] = {}
    for e in catalog.entries:
        counts[e.provider] = counts.get(e.provider, 0) + 1
    return page(
        request,
        "codes.html",
        active="codes",
        errors=errors,
        q=q or "",
        provider=provider or "",
        kind=kind or "",
        kinds=KINDS,
        namespaces=NAMESPACES,
        counts=counts,
        entries=entries,
        limit=SEARCH_LIMIT,
        href=href,
    )


def _lookup(catalog: Catalog, provider: str, kind: str, channel: str, code: str) -> list[Entry]:
    if provider not in NAMESPACES:
        return []
    try:
        return list(catalog.lookup(provider, code, kind, channel))
    except ValueError:  # the catalog's code parser trips on some non-ASCII digits
        return []


@router.get("/codes/{provider}/{kind}/{channel}/{code}")
async def code_page(
    request: Request, provider: str, kind: str, channel: str, code: str, viewer: Viewer
) -> Response:
    catalog = catalog_of(request)
    found = _lookup(catalog, provider, kind, channel, code)
    if not found:
        near: list[Entry] = []
        if provider in NAMESPACES:
            try:
                near = catalog.closest(provider, code, kind, channel)
            except ValueError:
                near = []
        return page(
            request,
            "code.html",
            status=404,
            active="codes",
            title=f"{provider} {kind} {code}",
            explanations=[],
            near=near,
            href=href,
            relations=RELATIONS,
            errors=[f"{provider}/{kind}/{channel} has no code {code!r}"],
        )
    explanations = []
    for e in found:
        x = explain_entry(e, catalog)
        explanations.append(
            {
                "entry": e,
                "record": record(e, catalog),
                "relations": {name: getattr(x, name) for name, _ in RELATIONS},
                "sources": catalog.sources_of(e),
            }
        )
    first = found[0]
    title = f"{NAMESPACES[provider].title} {kind.replace('_', ' ')} {first.code}"
    return page(
        request,
        "code.html",
        active="codes",
        title=title,
        explanations=explanations,
        near=[],
        href=href,
        relations=RELATIONS,
        errors=[],
    )
