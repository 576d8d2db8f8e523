"""Decision routes (API key required): retry advice for a stored message, the suppression list.

    GET    /messages/{id}/advice[?provider=&attempt=]   dlrkit.policy.advise on the stored outcome
    GET    /suppressions[?reason=&source=&active=&limit=&cursor=]
    POST   /suppressions            {"recipient", "reason", "expires_at"?, "note"?}
    DELETE /suppressions?recipient=...
    GET    /suppressions/check?recipient=...

The policy is the settings' (`Settings.policy`, the one the store suppresses with). A recipient
already on the list overrides the advice: never retry.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from dlrkit.catalog import Catalog
from dlrkit.outcome import Outcome
from dlrkit.policy import Failover, PolicyConfig, advise
from dlrkit.recipients import parse_recipient
from dlrkit.service.openapi import json_response as doc_json
from dlrkit.service.queries import (
    _ERRORS,
    MESSAGE_ERRORS,
    Cursor,
    IdProvider,
    MessageId,
    PageSize,
    _ask,
    _iso,
    message_of,
    require_key,
    store_of,
)
from dlrkit.service.responses import ApiError, json_response
from dlrkit.service.settings import Settings
from dlrkit.store.base import SuppressionEntry, SuppressionFilter
from dlrkit.vocab import Reason, Retry, State


class AdviceAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """What to do next with one stored message, and why."""

    message_id: str
    provider: str
    state: State
    final: bool
    reason: Reason
    action: Retry  # never | now | later | after_fix
    delay: int | None  # seconds before the next try, for "later"
    attempts_left: int
    fix: str | None  # for after_fix: what to change, in the catalog's words
    failover: tuple[Failover, ...]
    suppress: bool  # the recipient should not be written to
    decided_by: str  # the policy rule, or "suppression:<reason>" when the list decided
    suppression: SuppressionEntry | None  # the recipient's suppression in force, if any


class SuppressionCheck(msgspec.Struct, frozen=True, kw_only=True):
    recipient: str  # as the list keys it (E.164 for phone numbers)
    suppressed: bool
    suppression: SuppressionEntry | None


class NewSuppression(BaseModel):
    """A recipient to suppress by hand (replacing any suppression it had)."""

    model_config = ConfigDict(extra="forbid")

    recipient: str = Field(min_length=1, max_length=255, description="E.164 or as reported")
    reason: Reason
    expires_at: dt.datetime | None = Field(
        None, description="when it lapses (ISO 8601, in the future); omit for a permanent one"
    )
    note: str | None = Field(None, max_length=1000)


def policy_of(request: Request) -> PolicyConfig:
    settings: Settings = request.app.state.settings
    return settings.policy


def advice_for(
    outcome: Outcome,
    catalog: Catalog,
    policy: PolicyConfig,
    *,
    attempt: int = 1,
    suppressed: SuppressionEntry | None = None,
) -> AdviceAnswer:
    """`advise` on an outcome, overridden by the suppression list when the recipient is on it."""
    advice = advise(outcome, catalog, policy, attempt=attempt)
    action, delay, left = advice.action, advice.delay, advice.attempts_left
    suppress, decided_by = advice.suppress, advice.decided_by
    if suppressed is not None and suppressed.active:
        action, delay, left, suppress = Retry.NEVER, None, 0, True
        decided_by = f"suppression:{suppressed.reason}"
    return AdviceAnswer(
        message_id=outcome.message_id,
        provider=outcome.provider,
        state=outcome.state,
        final=outcome.final,
        reason=outcome.reason,
        action=action,
        delay=delay,
        attempts_left=left,
        fix=advice.fix if action == Retry.AFTER_FIX else None,
        failover=advice.failover,
        suppress=suppress,
        decided_by=decided_by,
        suppression=suppressed,
    )


def _key(recipient: str) -> str:
    return parse_recipient(recipient).e164 or recipient.strip()


router = APIRouter(dependencies=[Depends(require_key)], responses=_ERRORS)
Recipient = Annotated[str, Query(min_length=1, max_length=255, description="E.164 or as reported")]


@router.get(
    "/messages/{message_id}/advice",
    response_class=Response,
    tags=["decisions"],
    responses={
        "200": doc_json("AdviceAnswer", "Retry advice for the message's current outcome."),
        **MESSAGE_ERRORS,
    },
)
async def get_advice(
    request: Request,
    message_id: MessageId,
    provider: IdProvider = None,
    attempt: Annotated[
        int, Query(ge=1, le=100, description="which try the outcome was (1: first send)")
    ] = 1,
) -> Response:
    """What to do next with a message: retry now, later, after a fix, or never; failover hints;
    whether to suppress its recipient."""
    outcome = (await message_of(request, message_id, provider)).outcome
    entry = None
    if outcome.recipient:
        entry = await _ask(store_of(request).check_suppression(outcome.recipient), "recipient")
    catalog = request.app.state.ingest.catalog
    answer = advice_for(outcome, catalog, policy_of(request), attempt=attempt, suppressed=entry)
    return json_response(answer)


@router.get(
    "/suppressions",
    response_class=Response,
    tags=["suppressions"],
    responses={"200": doc_json("SuppressionPage", "Suppressions, newest first.")},
)
async def list_suppressions(
    request: Request,
    reason: Reason | None = None,
    source: Annotated[
        Literal["auto", "manual"] | None, Query(description="auto: a report caused it")
    ] = None,
    active: Annotated[bool, Query(description="only those in force now")] = False,
    limit: PageSize = 100,
    cursor: Cursor = None,
) -> Response:
    """The suppression list, one page at a time (pass next_cursor back as cursor)."""
    flt = SuppressionFilter(
        reason=reason.value if reason else None, source=source, active_only=active
    )
    page = await _ask(
        store_of(request).list_suppressions(flt, limit=limit, cursor=cursor), "cursor"
    )
    return json_response(page)


@router.post(
    "/suppressions",
    response_class=Response,
    status_code=201,
    tags=["suppressions"],
    responses={"201": doc_json("SuppressionEntry", "The recipient is suppressed.")},
)
async def add_suppression(request: Request, body: NewSuppression) -> Response:
    """Suppress a recipient by hand: permanent unless `expires_at` is given."""
    expires = _iso(body.expires_at)
    added = await _ask(
        store_of(request).add_suppression(
            body.recipient, body.reason.value, expires_at=expires, note=body.note
        ),
        "recipient",
    )
    return json_response(added, 201)


@router.delete(
    "/suppressions",
    response_class=Response,
    tags=["suppressions"],
    responses={
        "200": {
            "description": "The suppression is lifted.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "404": doc_json("Error", "The recipient is not on the list."),
    },
)
async def remove_suppression(request: Request, recipient: Recipient) -> Response:
    """Lift a recipient's suppression."""
    removed = await _ask(store_of(request).remove_suppression(recipient), "recipient")
    if not removed:
        raise ApiError(404, f"{recipient!r} is not on the suppression list", "recipient")
    return json_response({"recipient": _key(recipient), "removed": True})


@router.get(
    "/suppressions/check",
    response_class=Response,
    tags=["suppressions"],
    responses={"200": doc_json("SuppressionCheck", "Whether the recipient may be written to.")},
)
async def check_suppression(request: Request, recipient: Recipient) -> Response:
    """Whether a recipient is suppressed now, and why."""
    entry = await _ask(store_of(request).check_suppression(recipient), "recipient")
    return json_response(
        SuppressionCheck(recipient=_key(recipient), suppressed=entry is not None, suppression=entry)
    )
