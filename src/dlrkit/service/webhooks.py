"""POST /webhooks/{provider}: the hot route. Raw request in, durable reports, a small answer out.

Providers that can be told to call back with GET (Plivo, whose `method` may be GET, and
SMSPartner) are also heard on GET /webhooks/{provider}: the report is then the query string,
read as a form body (SMSPartner's `token` taken out of it first: it is the credential, not the
report). Plivo's signature covers the whole URL, query included, as its SDKs check it.
Infobip's per-channel reports look like its SMS ones; `?channel=` on the subscription's URL
says which traffic they are (whatsapp, viber, rcs, mms...).

In order: content type (415), size (413, without reading past the limit), authenticity
(401/403, nothing stored), parsing and classification (422 naming the field), the store's
checks of what it can hold (422 too, so that a broker never carries a report no store accepts),
then the sink. The answer is 200 `{"accepted": n, "duplicates": m}` only once the sink says the
reports are durable, 503 if it cannot (the provider retries). Every refusal is counted in
metrics by reason. The routes are plain Starlette routes (no dependency solving on the hot
path); `openapi.webhook_paths()` describes them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from dlrkit.adapters import ADAPTERS, infobip
from dlrkit.catalog import Catalog
from dlrkit.classify import Classifier
from dlrkit.errors import InputError
from dlrkit.rules import Rules
from dlrkit.service import auth, openapi
from dlrkit.service.ingest import Sink, incoming_from_payload, to_incoming
from dlrkit.service.metrics import Metrics
from dlrkit.service.responses import error_response, json_response
from dlrkit.service.settings import Account, Settings
from dlrkit.store.base import Incoming
from dlrkit.store.validate import check_batch

log = logging.getLogger("dlrkit.service")


@dataclass
class Ingest:
    """What the webhook routes need, built once per app: nothing on the hot path is looked up
    or built twice (one `Classifier`, whose decisions are memoized, the accounts per provider,
    the metrics' labelled series)."""

    settings: Settings
    sink: Sink
    catalog: Catalog
    rules: Rules | None
    metrics: Metrics
    classifier: Classifier = field(init=False)
    accounts: dict[str, tuple[Account, ...]] = field(init=False)

    def __post_init__(self) -> None:
        self.classifier = Classifier(self.catalog, self.rules)
        self.accounts = {p: self.settings.accounts_for(p) for p in openapi.ACCEPTED_TYPES}
        self._counters: dict[tuple[str, ...], Any] = {}
        self._timers: dict[str, Any] = {}
        self.refusals = Refusals()

    def refuse(
        self,
        provider: str,
        reason: str,
        status: int,
        problem: str,
        field: str | None = None,
        *,
        detail: str = "",
    ) -> Response:
        """Count a refused webhook, say why in the log (see `Refusals`), and answer it."""
        self.metrics.reject(provider, reason)
        self.refusals.note(provider, reason, status, problem + detail)
        return error_response(status, problem, field)

    def count(self, metric: str, *labels: str, amount: float = 1) -> None:
        """Add to a labelled counter of `metrics`, its series resolved once."""
        key = (metric, *labels)
        series = self._counters.get(key)
        if series is None:
            series = self._counters[key] = getattr(self.metrics, metric).labels(*labels)
        series.inc(amount)

    def took(self, provider: str, seconds: float) -> None:
        """Observe a durable webhook's time in `ingest_seconds`, its series resolved once."""
        series = self._timers.get(provider)
        if series is None:
            series = self._timers[provider] = self.metrics.ingest_seconds.labels(provider)
        series.observe(seconds)


class Refusals:
    """Says in the log why webhooks are refused: at most one line per provider and reason every
    `every` seconds, with how many more were refused meanwhile. A provider whose account is
    set up wrong, or a proxy that changes the URL a signature covers, then shows in the log
    (the answer alone reaches only the provider) without a flood of bad requests filling it."""

    def __init__(self, every: float = 10.0):
        self.every = every
        self._last: dict[tuple[str, str], float] = {}
        self._quiet: dict[tuple[str, str], int] = {}

    def note(self, provider: str, reason: str, status: int, problem: str) -> None:
        key = (provider, reason)
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.every:
            self._quiet[key] = self._quiet.get(key, 0) + 1
            return
        self._last[key] = now
        more = self._quiet.pop(key, 0)
        since = f" (and {more} more for this reason since the last such line)" if more else ""
        log.warning("refused a %s webhook: %d, %s%s", provider, status, problem, since)


class _TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or _TooLarge as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and len(declared) < 20
        and int(declared) > limit
    ):
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


# Infobip's delivery reports come as `{"results": [...]}`, one report per result, in order:
# there a field the store refuses can be named as the payload names it.
_INFOBIP_RESULT = re.compile(r"^infobip\.(?:\w+_)?report$")
_INFOBIP_WIRE = {"message_id": "messageId", "recipient": "to", "sender": "from"}


def _report_field(field: str | None, items: Sequence[Incoming] = ()) -> str:
    """The store's name of a bad field (batch[2].outcome.message_id) in the webhook's terms:
    the payload's own (results[2].messageId) where it is known, else reports[2].message_id;
    or the adapter's own name, which is the payload's already."""
    if not field:
        return "payload"
    m = _BATCH_FIELD.match(field)
    if m is None:
        return field
    index, name = int(m[1]), m[2]
    infobip = index < len(items) and _INFOBIP_RESULT.match(items[index].outcome.source or "")
    if infobip and name in _INFOBIP_WIRE:
        return f"results[{index}].{_INFOBIP_WIRE[name]}"
    return f"reports[{index}]" + (f".{name}" if name else "")


def _query_report(provider: str, query: str) -> bytes:
    """The report a GET callback carries: its query string, less a URL token (SMSPartner's
    `?token=` proves who calls; it is no part of the report and is not stored)."""
    if provider not in auth.URL_TOKEN:
        return query.encode("utf-8")
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, v) for k, v in pairs if k != "token"]).encode("utf-8")


def _ambiguous(query: str) -> bool:
    """Whether a decoded name holds '&' or '=', or a decoded value '&' (see `receive`)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return any("&" in k or "=" in k or "&" in v for k, v in pairs)


def _shown(url: str) -> str:
    """A URL for the log: its query's names only (a GET report's values are a recipient's
    number and the like; an operator's own parameters may be secrets)."""
    base, _, query = url.partition("?")
    names = sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)})
    return base + (f"?{'&'.join(names)}" if names else "")


def _signed_url(request: Request, public_url: str | None) -> str:
    if not public_url:
        return str(request.url)
    query = request.url.query
    return public_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def receive(request: Request, provider: str, path_token: str | None = None) -> Response:
    ctx: Ingest = request.app.state.ingest
    started = time.perf_counter()
    metrics = ctx.metrics
    if request.method == "HEAD":  # Starlette's companion of GET: no callback comes that way
        return error_response(405, "webhooks come as POST or GET", headers={"Allow": "GET, POST"})
    if request.method == "GET":  # a callback told to use GET: the report is the query string
        content_type = media_type = openapi.QUERY_TYPE
        query = request.url.query
        if len(query) > ctx.settings.max_body:
            problem = f"query string larger than {ctx.settings.max_body} bytes"
            return ctx.refuse(provider, "size", 413, problem, "query")
        if provider in auth.URL_SIGNED and _ambiguous(query):
            # Plivo signs the decoded pairs joined by & and =: "a=1%26b%3D2" would sign as
            # "a=1&b=2", another report under the same signature
            problem = "a query parameter holds an encoded '&' or '=': it is not signed apart"
            return ctx.refuse(provider, "auth", 403, problem, "query")
        signed, body = b"", _query_report(provider, query)
    else:
        content_type = request.headers.get("content-type", "")
        media_type = content_type.split(";")[0].strip().lower()
        accepted = openapi.ACCEPTED_TYPES[provider]
        if media_type not in accepted:
            shown = media_type or "none"
            problem = (
                f"content type {shown!r} not accepted; {provider} webhooks accept"
                f" {', '.join(accepted)}"
            )
            return ctx.refuse(provider, "type", 415, problem, "content-type")
        try:
            body = await read_body(request, ctx.settings.max_body)
        except _TooLarge:
            problem = f"body larger than {ctx.settings.max_body} bytes"
            return ctx.refuse(provider, "size", 413, problem, "body")
        signed = body

    signed_url = (
        _signed_url(request, ctx.settings.public_url) if provider in auth.URL_SIGNED else ""
    )
    presented = auth.Presented(
        url=signed_url,
        headers=request.headers,
        query=request.query_params,
        path_token=path_token,
        body=signed,
        media_type=media_type,
    )
    verdict = auth.verify(
        provider,
        ctx.accounts[provider],
        presented,
        insecure=ctx.settings.insecure_webhooks,
    )
    if verdict.status != 200:
        # the URL a signature covers is where a proxy in front most often breaks it
        where = f" (checked against {_shown(signed_url)}; see --public-url)" if signed_url else ""
        return ctx.refuse(provider, "auth", verdict.status, verdict.problem, detail=where)

    parsed: list[Incoming] = []
    try:
        parsed = _incoming(ctx, body, provider, content_type, request.query_params)
        items = check_batch(parsed)
    except InputError as exc:  # from the adapter, or a value no store can hold (NUL, too long)
        field = _report_field(exc.field, parsed)
        return ctx.refuse(provider, "malformed", 422, exc.problem, field, detail=f" ({field})")
    except Exception:  # a bug in parsing or classifying: refuse, keep the trace in the log only
        log.exception("%s adapter failed on a %d-byte payload", provider, len(body))
        metrics.reject(provider, "malformed")
        return error_response(422, "payload could not be parsed", "payload")

    try:
        duplicates = await ctx.sink.persist(items)
    except InputError as exc:
        field = _report_field(exc.field)
        return ctx.refuse(provider, "malformed", 422, exc.problem, field, detail=f" ({field})")
    except Exception:  # the store or broker is down: not stored, so the provider must retry
        log.exception("storage unavailable: %d %s report(s) not stored", len(items), provider)
        metrics.reject(provider, "storage")
        return error_response(503, "storage unavailable", headers={"Retry-After": "5"})

    repeated = sum(duplicates)
    new = len(items) - repeated
    if new:
        ctx.count("reports", provider, "accepted", amount=new)
    if repeated:
        ctx.count("reports", provider, "duplicate", amount=repeated)
    for item, dup in zip(items, duplicates, strict=True):
        if not dup:
            ctx.count("outcomes", provider, item.outcome.state.value)
    ctx.took(provider, time.perf_counter() - started)
    return json_response({"accepted": new, "duplicates": repeated})


def _incoming(
    ctx: Ingest, body: bytes, provider: str, content_type: str, query: Mapping[str, str]
) -> list[Incoming]:
    """The payload's reports, classified. Infobip's per-channel reports (WhatsApp, Viber, RCS,
    MMS) look like its SMS ones: a subscription's URL may say which they are (?channel=)."""
    hint = query.get("channel") if provider == "infobip" else None
    if hint is None:
        return incoming_from_payload(
            body, provider, content_type, ctx.catalog, ctx.rules, classifier=ctx.classifier
        )
    reports = infobip.parse(body, content_type, channel=hint)
    return to_incoming(reports, ctx.catalog, ctx.rules, classifier=ctx.classifier)


def _endpoint(provider: str) -> Callable[[Request], Awaitable[Response]]:
    async def webhook(request: Request) -> Response:
        return await receive(request, provider, request.path_params.get("token"))

    return webhook


class _HotRoute(Route):
    """A plain Starlette route that, like FastAPI's, names itself in the scope (for metrics)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match != Match.NONE:
            child["route"] = self
        return match, child


async def _unknown_provider(request: Request) -> Response:
    """POST /webhooks/{anything else}: 404 saying which providers have webhooks."""
    known = ", ".join(ADAPTERS)
    name = request.path_params.get("provider", "")[:64]
    return error_response(
        404, f"no webhooks for provider {name!r}: there are webhooks for {known}", "provider"
    )


async def noop(request: Request) -> Response:
    """POST /healthz/noop: read the body (within the size limit) and answer, nothing else. The
    ceiling of this HTTP stack, against which bench/ingest.py measures the webhooks."""
    ctx: Ingest = request.app.state.ingest
    try:
        await read_body(request, ctx.settings.max_body)
    except _TooLarge:
        return error_response(413, f"body larger than {ctx.settings.max_body} bytes", "body")
    return json_response({"status": "ok"})


def add_routes(app: FastAPI) -> None:
    """Plain Starlette routes (no FastAPI dependency solving on the hot path); their OpenAPI
    operations come from `openapi.webhook_paths()`."""
    paths = [(f"/webhooks/{p}", p, f"webhook_{p}") for p in ADAPTERS]
    paths.append(("/webhooks/smspartner/{token}", "smspartner", "webhook_smspartner_token"))
    for path, provider, name in paths:
        methods = ["POST", "GET"] if provider in openapi.QUERY_PROVIDERS else ["POST"]
        app.router.routes.append(_HotRoute(path, _endpoint(provider), methods=methods, name=name))
    app.router.routes.append(
        _HotRoute("/webhooks/{provider}", _unknown_provider, methods=["POST"], name="webhook_other")
    )
    app.router.routes.append(_HotRoute(openapi.NOOP_PATH, noop, methods=["POST"], name="noop"))
