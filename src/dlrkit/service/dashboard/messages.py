"""Dashboard message search and drill-down.

/dashboard/messages searches outcomes (by id, recipient, provider, channel, state, reason,
country, period; newest first, paged by the store's cursor); without a period it searches all
time. /dashboard/messages/{provider}/{id} shows one message: its outcome, the retry advice
(`decide.advice_for`, the same as GET /messages/{id}/advice), its recipient's suppression,
and every report received about it, raw payload included.
"""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from dlrkit.errors import InputError
from dlrkit.recipients import parse_recipient
from dlrkit.service.dashboard.filters import choice, scope, text
from dlrkit.service.dashboard.pages import ask, catalog_of, code_label, filter_options, store_of
from dlrkit.service.dashboard.render import page, query
from dlrkit.service.dashboard.session import Viewer
from dlrkit.service.decide import advice_for, policy_of
from dlrkit.service.responses import StorageUnavailable
from dlrkit.store.base import OutcomeFilter
from dlrkit.vocab import Reason, State

PAGE_SIZE = 50
STATES = tuple(s.value for s in State)
REASONS = tuple(r.value for r in Reason)

router = APIRouter(prefix="/dashboard", include_in_schema=False)


def _pretty(raw: object) -> str:
    encoded = msgspec.json.encode(raw, order="sorted")
    return msgspec.json.format(encoded, indent=2).decode("utf-8")


def message_href(provider: str, message_id: str) -> str:
    from urllib.parse import quote

    return f"/dashboard/messages/{quote(provider)}/{quote(message_id, safe='')}"


@router.get("/messages")
async def search(request: Request, viewer: Viewer) -> Response:
    sc = scope(request)
    errors = list(sc.errors)
    timed = bool(text(request, "period"))  # no period: all time
    params = {"period": sc.params["period"]} if timed else {}
    store = store_of(request)
    wanted_id = text(request, "id")
    if wanted_id:
        try:
            found = await store.message(wanted_id, sc.provider)
        except InputError as exc:
            errors.append(f"id: {exc.problem}")  # e.g. known at several providers
        except Exception as exc:
            raise StorageUnavailable from exc
        else:
            if found is not None:
                target = message_href(found.outcome.provider, found.outcome.message_id)
                if request.headers.get("hx-request"):  # htmx: go there, address bar included
                    return Response(headers={"HX-Redirect": target})
                return RedirectResponse(target, status_code=303)
            errors.append(f"id: no report about message {wanted_id!r}")
        params["id"] = wanted_id
    state = choice(request, "state", STATES, errors)
    reason = choice(request, "reason", REASONS, errors)
    recipient = text(request, "recipient", 64)
    for name, value in (("state", state), ("reason", reason), ("recipient", recipient)):
        if value:
            params[name] = value
    for name in ("provider", "channel", "country"):
        if name in sc.params:
            params[name] = sc.params[name]
    bounds = sc.insight_filter() if timed else None
    flt = OutcomeFilter(
        since=bounds.since if bounds else None,
        until=bounds.until if bounds else None,
        provider=sc.provider,
        channel=sc.channel,
        state=state,
        reason=reason,
        country=sc.country,
        recipient=(parse_recipient(recipient).e164 or recipient) if recipient else None,
    )
    cursor = text(request, "cursor", 1024)
    results = None
    if not wanted_id:
        results = await ask(store.outcomes(flt, limit=PAGE_SIZE, cursor=cursor), errors)
    next_href = (
        query("/dashboard/messages", params, cursor=results.next_cursor)
        if results is not None and results.next_cursor
        else None
    )
    return page(
        request,
        "messages.html",
        active="messages",
        sc=sc,
        params=params,
        errors=errors,
        results=results,
        next_href=next_href,
        message_href=message_href,
        states=STATES,
        **filter_options(),
    )


@router.get("/messages/{provider}/{message_id:path}")
async def message(request: Request, provider: str, message_id: str, viewer: Viewer) -> Response:
    store = store_of(request)
    errors: list[str] = []
    found = await ask(store.message(message_id, provider), errors)
    if found is None:
        return page(
            request,
            "message.html",
            status=404,
            active="messages",
            errors=errors or [f"no report about {provider} message {message_id!r}"],
            found=None,
        )
    outcome = found.outcome
    suppressed = (
        await ask(store.check_suppression(outcome.recipient), errors) if outcome.recipient else None
    )
    catalog = catalog_of(request)
    advice = advice_for(outcome, catalog, policy_of(request), suppressed=suppressed)
    history = [
        {
            "item": h,
            "codes": [
                (c, code_label(catalog, c.entry) if c.entry else None) for c in h.outcome.codes
            ],
            "raw": _pretty(h.outcome.raw),
        }
        for h in found.history
    ]
    return page(
        request,
        "message.html",
        active="messages",
        errors=errors,
        found=found,
        outcome=outcome,
        codes=[(c, code_label(catalog, c.entry) if c.entry else None) for c in outcome.codes],
        advice=advice,
        suppressed=suppressed,
        history=history,
    )
