"""Dashboard suppression list: filter and page through it, check a recipient, add one by hand,
lift one. Forms post back to this origin only (see `session`); after a change the page
redirects to the list (post/redirect/get), with what happened in the address as `done`; a
refused addition shows the form again, with what was typed and why (422)."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from dlrkit.errors import InputError
from dlrkit.insights.period import iso, parse_bound
from dlrkit.recipients import parse_recipient
from dlrkit.service.dashboard.filters import choice, text
from dlrkit.service.dashboard.messages import message_href
from dlrkit.service.dashboard.pages import ask, store_of
from dlrkit.service.dashboard.render import page, query
from dlrkit.service.dashboard.session import Viewer
from dlrkit.service.responses import StorageUnavailable
from dlrkit.store.base import SuppressionFilter
from dlrkit.vocab import Reason

PAGE_SIZE = 50
REASONS = tuple(r.value for r in Reason)
SOURCES = ("auto", "manual")
HOME = "/dashboard/suppressions"
router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/suppressions")
async def suppressions(request: Request, viewer: Viewer) -> Response:
    return await _list(request)


# the add form's fields, as the store names them and as the form labels them
_LABELS = {"recipient": "Recipient", "reason": "Reason", "expires_at": "Until", "note": "Note"}


async def _list(
    request: Request, *, add_error: str | None = None, added: dict[str, str] | None = None
) -> Response:
    """The page; after a refused addition, with why and what was typed (status 422)."""
    errors: list[str] = []
    reason = choice(request, "reason", REASONS, errors)
    source = choice(request, "source", SOURCES, errors)
    active = request.query_params.get("active") == "1"
    params = {"reason": reason or "", "source": source or "", "active": "1" if active else ""}
    store = store_of(request)
    cursor = text(request, "cursor", 1024)
    flt = SuppressionFilter(reason=reason, source=source, active_only=active)
    found = await ask(store.list_suppressions(flt, limit=PAGE_SIZE, cursor=cursor), errors)
    checked = text(request, "check")
    check = None
    if checked:
        entry = await ask(store.check_suppression(checked), errors)
        key = parse_recipient(checked).e164 or checked
        check = {"recipient": key, "entry": entry}
    next_href = (
        query(HOME, params, cursor=found.next_cursor) if found and found.next_cursor else None
    )
    return page(
        request,
        "suppressions.html",
        active="suppressions",
        errors=errors,
        params=params,
        found=found,
        check=check,
        checked=checked or "",
        done=text(request, "done", 300),
        next_href=next_href,
        reasons=REASONS,
        sources=SOURCES,
        message_href=message_href,
        add_error=add_error,
        added=added or {},
        status=422 if add_error else 200,
    )


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body())[:16384].decode("utf-8", "replace")
    return {k: v[0].strip() for k, v in parse_qs(body).items()}


@router.post("/suppressions")
async def add(request: Request, viewer: Viewer) -> Response:
    form = await _form(request)
    recipient, reason = form.get("recipient", ""), form.get("reason", "")
    try:
        expires = None
        if form.get("expires"):
            expires = parse_bound(form["expires"], "expires_at", end=True)
        entry = await store_of(request).add_suppression(
            recipient,
            reason,
            expires_at=iso(expires) if expires else None,
            note=form.get("note") or None,
        )
    except InputError as exc:  # the form again, with what was typed and why it was refused
        label = _LABELS.get(exc.field or "", exc.field)
        return await _list(
            request, add_error=f"{label}: {exc.problem}" if label else exc.problem, added=form
        )
    except Exception as exc:
        raise StorageUnavailable from exc
    until = f" until {entry.expires_at}" if entry.expires_at else " permanently"
    done = f"Suppressed {entry.recipient} ({entry.reason}){until}."
    return RedirectResponse(query(HOME, {"done": done}), status_code=303)


@router.post("/suppressions/remove")
async def remove(request: Request, viewer: Viewer) -> Response:
    recipient = (await _form(request)).get("recipient", "")
    try:
        removed = await store_of(request).remove_suppression(recipient)
    except InputError as exc:
        done = f"Not removed: {exc.field}: {exc.problem}"
    except Exception as exc:
        raise StorageUnavailable from exc
    else:
        done = (
            f"Lifted the suppression of {recipient}."
            if removed
            else f"{recipient} was not on the list."
        )
    return RedirectResponse(query(HOME, {"done": done}), status_code=303)
