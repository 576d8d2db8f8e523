"""POST /webhooks/{provider}: the hot route. Raw request in, durable reports, a small answer out.

In order: content type (415), size (413, without reading past the limit), authenticity
(401/403, nothing stored), parsing (422 naming the field), classification, the store's checks
of what it can hold (422 too, so that a broker never carries a report no store accepts), then
the sink; the
answer is 200 `{"accepted": n, "duplicates": m}` only once the sink says the reports are durable,
503 if it cannot (the provider retries). Every refusal is counted in metrics by reason.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from starlette.responses import Response

from dlrkit.adapters import ADAPTERS
from dlrkit.catalog import Catalog
from dlrkit.errors import InputError
from dlrkit.rules import Rules
from dlrkit.service import auth, openapi
from dlrkit.service.ingest import Sink, incoming_from_payload
from dlrkit.service.metrics import Metrics
from dlrkit.service.responses import error_response, json_response
from dlrkit.service.settings import Settings
from dlrkit.store.validate import check_batch

log = logging.getLogger("dlrkit.service")


@dataclass
class Ingest:
    """What the webhook routes need, built once per app."""

    settings: Settings
    sink: Sink
    catalog: Catalog
    rules: Rules | None
    metrics: Metrics


class _TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or _TooLarge as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


_BATCH_FIELD = re.compile(r"^batch\[(\d+)\](?:\.outcome)?\.?(.*)$")


def _report_field(field: str | None) -> str:
    """The store's name of a bad field (batch[2].outcome.message_id) in the webhook's terms
    (reports[2].message_id), or the adapter's own name."""
    if not field:
        return "payload"
    m = _BATCH_FIELD.match(field)
    if m is None:
        return field
    return f"reports[{m[1]}]" + (f".{m[2]}" if m[2] else "")


def _signed_url(request: Request, public_url: str | None) -> str:
    if not public_url:
        return str(request.url)
    query = request.url.query
    return public_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def receive(request: Request, provider: str, path_token: str | None = None) -> Response:
    ctx: Ingest = request.app.state.ingest
    started = time.perf_counter()
    metrics = ctx.metrics
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    accepted = openapi.ACCEPTED_TYPES[provider]
    if media_type not in accepted:
        metrics.reject(provider, "type")
        shown = media_type or "none"
        return error_response(
            415,
            f"content type {shown!r} not accepted; {provider} webhooks accept {', '.join(accepted)}",
            "content-type",
        )
    try:
        body = await read_body(request, ctx.settings.max_body)
    except _TooLarge:
        metrics.reject(provider, "size")
        return error_response(413, f"body larger than {ctx.settings.max_body} bytes", "body")

    presented = auth.Presented(
        url=_signed_url(request, ctx.settings.public_url),
        headers=request.headers,
        query=request.query_params,
        path_token=path_token,
        body=body,
        media_type=media_type,
    )
    verdict = auth.verify(
        provider,
        ctx.settings.accounts_for(provider),
        presented,
        insecure=ctx.settings.insecure_webhooks,
    )
    if verdict.status != 200:
        metrics.reject(provider, "auth")
        return error_response(verdict.status, verdict.problem)

    try:
        items = check_batch(
            incoming_from_payload(body, provider, content_type, ctx.catalog, ctx.rules)
        )
    except InputError as exc:  # from the adapter, or a value no store can hold (NUL, too long)
        metrics.reject(provider, "malformed")
        return error_response(422, exc.problem, _report_field(exc.field))
    except Exception:  # an adapter bug: refuse the payload, keep the trace in the log only
        log.exception("%s adapter failed on a %d-byte payload", provider, len(body))
        metrics.reject(provider, "malformed")
        return error_response(422, "payload could not be parsed", "payload")

    try:
        duplicates = await ctx.sink.persist(items)
    except InputError as exc:
        metrics.reject(provider, "malformed")
        return error_response(422, exc.problem, _report_field(exc.field))
    except Exception:  # the store or broker is down: not stored, so the provider must retry
        log.exception("storage unavailable: %d %s report(s) not stored", len(items), provider)
        metrics.reject(provider, "storage")
        return error_response(503, "storage unavailable", headers={"Retry-After": "5"})

    repeated = sum(duplicates)
    new = len(items) - repeated
    if new:
        metrics.reports.labels(provider, "accepted").inc(new)
    if repeated:
        metrics.reports.labels(provider, "duplicate").inc(repeated)
    for item, dup in zip(items, duplicates, strict=True):
        if not dup:
            metrics.outcomes.labels(provider, item.outcome.state.value).inc()
    metrics.ingest_seconds.labels(provider).observe(time.perf_counter() - started)
    return json_response({"accepted": new, "duplicates": repeated})


def _endpoint(provider: str) -> Callable[[Request], Awaitable[Response]]:
    async def webhook(request: Request) -> Response:
        return await receive(request, provider)

    webhook.__doc__ = f"Delivery reports from {provider}, in its native format."
    return webhook


async def _smspartner_path_token(request: Request, token: str) -> Response:
    """SMSPartner delivery reports, with the secret token in the path instead of ?token=."""
    return await receive(request, "smspartner", token)


def add_routes(app: FastAPI) -> None:
    for provider in ADAPTERS:
        app.add_api_route(
            f"/webhooks/{provider}",
            _endpoint(provider),
            methods=["POST"],
            name=f"webhook_{provider}",
            operation_id=f"webhook_{provider}",
            summary=f"Receive {provider} delivery reports",
            tags=["webhooks"],
            response_class=Response,
            openapi_extra=openapi.webhook_operation(provider),
        )
    extra = openapi.webhook_operation("smspartner")
    extra["parameters"] = [p for p in extra["parameters"] if p["name"] != "token"]
    app.add_api_route(
        "/webhooks/smspartner/{token}",
        _smspartner_path_token,
        methods=["POST"],
        name="webhook_smspartner_token",
        operation_id="webhook_smspartner_token",
        summary="Receive smspartner delivery reports (token in the path)",
        tags=["webhooks"],
        response_class=Response,
        openapi_extra=extra,
    )
