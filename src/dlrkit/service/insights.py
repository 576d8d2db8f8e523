"""Insight routes (API key required): JSON answers from the store's rollups.

    GET /insights/delivery-rate   messages by state and the delivery rate, per hour or day
    GET /insights/failures?by=reason|code|provider|channel|country|operator
    GET /insights/latency         final messages by time from sending to the final state
    GET /insights/unknown-codes   native codes the catalog does not know, most reported first

Filters: `since`, `until` (ISO 8601 on the time a message was first received; default the
seven days up to the end of the current hour; widened to whole UTC hours), `provider`,
`channel`, `country`. A bad one is a 422 naming the parameter. `components()` gives the JSON
Schemas of these answers (and of the decision routes') for the OpenAPI description.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from dlrkit.errors import InputError
from dlrkit.insights.period import Period, resolve
from dlrkit.outcome import Channel
from dlrkit.service.decide import AdviceAnswer, SuppressionCheck
from dlrkit.service.openapi import json_response as doc_json
from dlrkit.service.openapi import struct_schemas
from dlrkit.service.queries import _ERRORS, Country, PageSize, Provider, _ask, require_key, store_of
from dlrkit.service.responses import ApiError, json_response
from dlrkit.store.base import (
    DeliveryRate,
    Failures,
    InsightFilter,
    Latency,
    SuppressionEntry,
    SuppressionPage,
    UnknownCode,
)

Dimension = Literal["reason", "code", "provider", "channel", "country", "operator"]


class UnknownCodes(msgspec.Struct, frozen=True, kw_only=True):
    items: tuple[UnknownCode, ...]


async def insight_filter(
    since: Annotated[
        dt.datetime | None,
        Query(description="first received at or after (ISO 8601); default: 7 days before until"),
    ] = None,
    until: Annotated[
        dt.datetime | None,
        Query(description="first received before (ISO 8601); default: the end of this hour"),
    ] = None,
    provider: Provider | None = None,
    channel: Channel | None = None,
    country: Country = None,
) -> InsightFilter:
    """The period and traffic filters shared by every insight route."""
    try:
        period = resolve(since, until)
    except InputError as exc:
        raise ApiError(422, exc.problem, exc.field) from None
    return period.filter(
        provider=provider, channel=channel.value if channel else None, country=country
    )


Filter = Annotated[InsightFilter, Depends(insight_filter)]
router = APIRouter(prefix="/insights", dependencies=[Depends(require_key)], responses=_ERRORS)


@router.get(
    "/delivery-rate",
    response_class=Response,
    tags=["insights"],
    responses={"200": doc_json("DeliveryRate", "Every bucket of the period, empty ones included.")},
)
async def delivery_rate(
    request: Request,
    flt: Filter,
    bucket: Annotated[
        Literal["hour", "day"] | None,
        Query(description="default: hour for up to 7 days, else day"),
    ] = None,
) -> Response:
    """Messages first received in each bucket, by current state, and the delivery rate
    (delivered / final; null while none is final)."""
    if bucket is None:
        since, until = dt.datetime.fromisoformat(flt.since), dt.datetime.fromisoformat(flt.until)
        size = Period(since, until).bucket
    else:
        size = bucket
    answer = await _ask(store_of(request).delivery_rate(flt, bucket=size), "since")
    return json_response(answer)


@router.get(
    "/failures",
    response_class=Response,
    tags=["insights"],
    responses={"200": doc_json("Failures", "Failed messages by one dimension, most first.")},
)
async def failures(
    request: Request,
    flt: Filter,
    by: Annotated[Dimension, Query(description="the dimension to break failures down by")],
    limit: PageSize = 20,
) -> Response:
    """Final, not delivered messages (undelivered, rejected, expired) by reason, native code,
    provider, channel, country or operator."""
    answer = await _ask(store_of(request).failures_by(by, flt, limit=limit), "by")
    return json_response(answer)


@router.get(
    "/latency",
    response_class=Response,
    tags=["insights"],
    responses={"200": doc_json("Latency", "Final messages by time from sending to final state.")},
)
async def latency(request: Request, flt: Filter) -> Response:
    """How long messages took from sending to their final state, binned."""
    return json_response(await _ask(store_of(request).latency(flt), "since"))


@router.get(
    "/unknown-codes",
    response_class=Response,
    tags=["insights"],
    responses={
        "200": doc_json("UnknownCodes", "Codes to add to the catalog, most reported first.")
    },
)
async def unknown_codes(request: Request, limit: PageSize = 50) -> Response:
    """Native codes seen in reports that the catalog does not know (over all time)."""
    found = await _ask(store_of(request).unknown_codes(limit=limit), "limit")
    return json_response(UnknownCodes(items=tuple(found)))


def components() -> dict[str, Any]:
    """JSON Schemas of the insight and decision answers, for `components/schemas`."""
    return struct_schemas(
        DeliveryRate,
        Failures,
        Latency,
        UnknownCodes,
        AdviceAnswer,
        SuppressionCheck,
        SuppressionEntry,
        SuppressionPage,
    )
