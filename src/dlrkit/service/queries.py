"""Read routes: outcomes and message histories (API key required), code explanations, health.

API keys come from the store (`dlrkit keys create`), sent as `Authorization: Bearer <key>` or
`X-API-Key: <key>`. Filters are validated here; a bad one is a 422 naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from dlrkit.errors import InputError, UnknownCodeError
from dlrkit.explainer import explain, record
from dlrkit.outcome import Channel
from dlrkit.recipients import parse_recipient
from dlrkit.service.ingest import StoreSink
from dlrkit.service.openapi import json_response as doc_json
from dlrkit.service.responses import ApiError, StorageUnavailable, json_response
from dlrkit.store.base import ApiKey, Message, OutcomeFilter, Store
from dlrkit.vocab import Reason, State

T = TypeVar("T")
# The registry's names, spelled out for OpenAPI enums (tests/service/test_queries.py checks them).
Provider = Literal["infobip", "smspartner", "plivo", "smpp"]
Namespace = Literal["infobip", "smspartner", "plivo", "smpp", "sip", "q850", "map", "sccp"]
Kind = Literal["status", "error", "hangup_cause", "api_error", "dlr_status"]

_bearer = HTTPBearer(
    auto_error=False, scheme_name="bearerKey", description="an API key from `dlrkit keys create`"
)
_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="apiKey", description="an API key"
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    "401": doc_json("Error", "API key missing, unknown or revoked."),
    "422": doc_json("Error", "A parameter is invalid; `field` names it."),
    "503": doc_json("Error", "Storage unavailable."),
}
# Parameters of several routes (queries, decisions, insights).
MessageId = Annotated[str, Path(min_length=1, max_length=256)]
IdProvider = Annotated[
    Provider | None, Query(description="whose message id this is, if ids collide")
]
Country = Annotated[str | None, Query(pattern="^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")]
PageSize = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=1024)]
MESSAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    "404": doc_json("Error", "No report about this message."),
    "409": doc_json("Error", "The id is known at several providers: pass ?provider=."),
}


async def _ask(answer: Awaitable[T], field: str, *, conflict: str | None = None) -> T:
    """A store call's answer. What the store refuses is a 422, or a 409 when it names the
    `conflict` field (a message id known at two providers: say which); a failure is a 503."""
    try:
        return await answer
    except InputError as exc:
        status = 409 if conflict is not None and exc.field == conflict else 422
        raise ApiError(status, exc.problem, exc.field or field) from None
    except Exception as exc:
        raise StorageUnavailable from exc


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def message_of(request: Request, message_id: str, provider: str | None) -> Message:
    """The stored message, or a 404 (unknown), 409 (known at several providers: say which)."""
    found = await _ask(
        store_of(request).message(message_id, provider), "message_id", conflict="provider"
    )
    if found is None:
        raise ApiError(404, f"no report about message {message_id!r}", "message_id")
    return found


async def require_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> ApiKey:
    secrets = {header} if header else set()
    if bearer is not None:
        secrets.add(bearer.credentials)
    elif "authorization" in request.headers:  # present but not "Bearer <key>": refuse, don't ignore
        raise ApiError(
            401, "Authorization must be 'Bearer <key>'", headers={"WWW-Authenticate": "Bearer"}
        )
    if not secrets:
        raise ApiError(
            401,
            "API key required: send Authorization: Bearer <key> or X-API-Key: <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    found: list[ApiKey | None] = []
    try:
        for secret in secrets:  # both headers given: both must hold a valid key
            found.append(await store_of(request).check_key(secret))
    except Exception as exc:
        raise StorageUnavailable from exc
    valid = [k for k in found if k is not None]
    if len(valid) != len(found):
        raise ApiError(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    return valid[0]


router = APIRouter(responses={"422": _ERRORS["422"]})
keyed = APIRouter(dependencies=[Depends(require_key)], responses=_ERRORS)


@keyed.get(
    "/messages/{message_id}",
    response_class=Response,
    tags=["queries"],
    responses={
        "200": doc_json(
            "Message", "The message's current outcome and every report received about it."
        ),
        **MESSAGE_ERRORS,
    },
)
async def get_message(
    request: Request, message_id: MessageId, provider: IdProvider = None
) -> Response:
    """The outcome of one message and its history of reports."""
    return json_response(await message_of(request, message_id, provider))


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@keyed.get(
    "/outcomes",
    response_class=Response,
    tags=["queries"],
    responses={
        "200": doc_json("Page", "Outcomes, newest first; pass next_cursor back as cursor for more.")
    },
)
async def list_outcomes(
    request: Request,
    since: Annotated[
        dt.datetime | None, Query(description="received at or after (ISO 8601)")
    ] = None,
    until: Annotated[dt.datetime | None, Query(description="received before (ISO 8601)")] = None,
    provider: Provider | None = None,
    channel: Channel | None = None,
    state: State | None = None,
    reason: Reason | None = None,
    country: Country = None,
    recipient: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="E.164 (+33612345678), a national number with country=, or as reported",
        ),
    ] = None,
    limit: PageSize = 100,
    cursor: Cursor = None,
) -> Response:
    """Outcomes matching every given filter, one page at a time."""
    if since and until and since >= until:
        raise ApiError(422, "until must be after since", "until")
    if recipient is not None:
        recipient = _recipient_filter(recipient, country)
    flt = OutcomeFilter(
        since=_iso(since),
        until=_iso(until),
        provider=provider,
        channel=channel.value if channel else None,
        state=state.value if state else None,
        reason=reason.value if reason else None,
        country=country.upper() if country else None,
        recipient=recipient,
    )
    page = await _ask(store_of(request).outcomes(flt, limit=limit, cursor=cursor), "cursor")
    return json_response(page)


def _recipient_filter(value: str, country: str | None) -> str:
    """The recipient as outcomes store it: E.164 for a phone number. A national number (a
    leading trunk 0) is read in `country` when one is given, else refused with a hint: stored
    numbers are international, so it could never match."""
    parsed = parse_recipient(value)
    if parsed.e164:
        return parsed.e164
    digits = "".join(c for c in value if c.isdigit())
    if value.strip().startswith("0") and digits == value.replace(" ", "").replace("-", ""):
        if country:
            import phonenumbers

            try:
                number = phonenumbers.parse(value, country.upper())
            except phonenumbers.NumberParseException:
                number = None
            if number is not None and phonenumbers.is_possible_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        raise ApiError(
            422,
            f"{value!r} looks like a national number; recipients are stored in E.164: give it "
            "as +<country code><number>, or add country=<ISO code> to read it as that country's",
            "recipient",
        )
    return value


_CODE_LIST = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {"type": "object"}}},
}


@router.get(
    "/codes/search",
    response_class=Response,
    tags=["codes"],
    responses={
        "200": {
            "description": "Matching catalog records.",
            "content": {"application/json": {"schema": _CODE_LIST}},
        }
    },
)
async def search_codes(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200, description="words that must all match")],
    provider: Namespace | None = None,
    kind: Kind | None = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    """Full-text search over codes, names, groups, descriptions and advice."""
    cat = request.app.state.ingest.catalog
    found = cat.search(q, provider, kind, channel, limit)
    return json_response({"items": [record(e, cat) for e in found]})


@router.get(
    "/codes/{provider}/{code}",
    response_class=Response,
    tags=["codes"],
    responses={
        "200": {
            "description": "Every entry for the code, with relations.",
            "content": {"application/json": {"schema": _CODE_LIST}},
        },
        "404": doc_json("Error", "Unknown code; `suggestions` lists the closest known ones."),
    },
)
async def explain_code(
    request: Request,
    provider: Namespace,
    code: Annotated[
        str, Path(min_length=1, max_length=100, description="a code (27, 0x0B, DELIVRD) or a name")
    ],
    kind: Kind | None = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """What a provider's or standard's code means and what to do about it (`dlrkit explain`)."""
    cat = request.app.state.ingest.catalog
    try:
        found = explain(provider, code, kind=kind, channel=channel, catalog=cat)
    except UnknownCodeError as exc:
        suggestions = [{"provider": p, "code": c, "name": n} for p, c, n in exc.suggestions]
        raise ApiError(404, str(exc), "code", extra={"suggestions": suggestions}) from None
    except ValueError:  # the catalog's code parser trips on some non-ASCII digits ("¹")
        raise ApiError(422, f"{code!r} is neither a code nor a name", "code") from None
    return json_response({"items": [x.to_dict(cat) for x in found]})


@router.get(
    "/healthz",
    response_class=Response,
    tags=["operations"],
    responses={
        "200": {
            "description": "Storage answers.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "503": doc_json("Error", "Storage unavailable."),
    },
)
async def healthz(request: Request) -> Response:
    """Whether the service can store reports (and answer queries) now."""
    sink = request.app.state.ingest.sink
    try:
        await sink.check()
        if not isinstance(sink, StoreSink):  # reports go to a broker; queries still need the store
            await store_of(request).outcomes(OutcomeFilter(), limit=1)
    except Exception as exc:
        raise StorageUnavailable from exc
    return json_response({"status": "ok"})


router.include_router(keyed)
